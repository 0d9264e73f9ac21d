package dev.portico.runtime.upstream;

import dev.portico.runtime.server.Transports;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import java.net.InetSocketAddress;

/**
 * The runtime's own resolver of backend names: Netty's asynchronous DNS client, so a lookup
 * never blocks an event loop (the JDK's InetAddress lookup would stall every connection of the
 * loop for as long as DNS takes). It reads /etc/resolv.conf (servers, search domains, ndots: a
 * Service's short name works in a pod as it does for the JDK) and /etc/hosts, and caches each
 * answer for its records' TTL, after which the next request queries again.
 */
public final class UpstreamResolvers {

    private UpstreamResolvers() {}

    public static AddressResolverGroup<InetSocketAddress> dns(Transports transports) {
        return new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                .datagramChannelType(transports.datagramChannel())
                .socketChannelType(transports.clientSocketChannel())
                .nameServerProvider(DnsServerAddressStreamProviders.platformDefault()));
    }
}

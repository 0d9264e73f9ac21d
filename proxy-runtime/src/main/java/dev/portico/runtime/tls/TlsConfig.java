package dev.portico.runtime.tls;

import dev.portico.runtime.routing.HostNames;
import dev.portico.runtime.routing.HostPattern;
import dev.portico.runtime.tls.ocsp.OcspStaple;
import io.netty.handler.ssl.SslContext;
import java.time.Instant;
import java.util.List;

/**
 * The site's certificates, ready for SNI: an exact name beats a wildcard; no SNI, or a
 * name no certificate claims, gets the first certificate.
 *
 * @param httpRedirect whether plain HTTP answers 301 to https (ACME challenges excepted)
 */
public record TlsConfig(List<Entry> entries, boolean httpRedirect) {

    /**
     * One certificate, the SNI names it serves, its OCSP staple ({@link OcspStaple#none} without one),
     * and when its leaf expires.
     */
    public record Entry(String secretName, List<HostPattern> hosts, SslContext context, OcspStaple staple,
                        Instant notAfter) {}

    public Entry select(String serverName) {
        if (serverName != null) {
            String name = HostNames.normalise(serverName);
            for (HostPattern.Kind kind : HostPattern.Kind.values()) {
                for (Entry entry : entries) {
                    for (HostPattern pattern : entry.hosts()) {
                        if (pattern.kind() == kind && pattern.matches(name)) {
                            return entry;
                        }
                    }
                }
            }
        }
        return entries.get(0);
    }
}

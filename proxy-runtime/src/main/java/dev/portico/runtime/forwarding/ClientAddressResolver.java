package dev.portico.runtime.forwarding;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the client's address from the TCP peer and X-Forwarded-For, as the API defines:
 * an untrusted peer is the client; behind trusted CIDRs, walk X-Forwarded-For from the
 * right skipping trusted addresses; with {@code hops: n}, the n-th address from the
 * right. A pure function, tested exhaustively.
 */
public final class ClientAddressResolver {

    private ClientAddressResolver() {}

    /** The outcome: the client's address, and whether the peer's forwarded headers count. */
    public record Resolution(InetAddress client, boolean peerTrusted) {}

    /**
     * @param peer           the TCP peer
     * @param forwardedFor   every X-Forwarded-For header value, in order (may be empty)
     */
    public static Resolution resolve(TrustPolicy policy, InetAddress peer, List<String> forwardedFor) {
        if (!policy.trustsPeer(peer)) {
            return new Resolution(peer, false);
        }
        List<String> chain = entries(forwardedFor);
        if (policy.hops() > 0) {
            return new Resolution(byHops(peer, chain, policy.hops()), true);
        }
        InetAddress client = peer;
        for (int i = chain.size() - 1; i >= 0; i--) {
            InetAddress hop = IpAddresses.parse(chain.get(i));
            if (hop == null) {
                // Garbage in the chain: the last trusted hop is as far as we can believe.
                return new Resolution(client, true);
            }
            client = hop;
            if (!policy.cidrs().contains(hop)) {
                break;
            }
        }
        return new Resolution(client, true);
    }

    private static InetAddress byHops(InetAddress peer, List<String> chain, int hops) {
        // The peer is hop 0; hop n is the n-th X-Forwarded-For entry from the right, or the
        // left-most one when the chain is shorter than the hops we were told to trust.
        InetAddress client = peer;
        for (int i = chain.size() - 1, hop = 1; i >= 0 && hop <= hops; i--, hop++) {
            InetAddress address = IpAddresses.parse(chain.get(i));
            if (address == null) {
                break;
            }
            client = address;
        }
        return client;
    }

    /** Splits header values into entries: several headers and comma lists are one chain. */
    static List<String> entries(List<String> values) {
        if (values.isEmpty()) {
            return List.of();
        }
        List<String> entries = new ArrayList<>();
        for (String value : values) {
            for (String entry : value.split(",")) {
                String trimmed = entry.trim();
                if (!trimmed.isEmpty()) {
                    entries.add(trimmed);
                }
            }
        }
        return entries;
    }
}

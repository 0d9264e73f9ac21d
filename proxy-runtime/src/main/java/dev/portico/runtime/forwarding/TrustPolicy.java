package dev.portico.runtime.forwarding;

import dev.portico.crds.v1alpha1.TrustedProxies;
import java.net.InetAddress;

/**
 * Who may tell us the client's address: peers in {@code cidrs}, or the {@code hops}
 * right-most hops (TRUST_PROXY=n). Neither means nobody: the client is the TCP peer.
 */
public record TrustPolicy(CidrSet cidrs, int hops) {

    public static final TrustPolicy NOBODY = new TrustPolicy(CidrSet.EMPTY, 0);

    public static TrustPolicy of(TrustedProxies trusted) {
        if (trusted == null) {
            return NOBODY;
        }
        return new TrustPolicy(CidrSet.of(trusted.cidrs()), trusted.hops() == null ? 0 : trusted.hops());
    }

    /** Whether the TCP peer is a proxy whose X-Forwarded-* headers we believe. */
    public boolean trustsPeer(InetAddress peer) {
        return hops > 0 || cidrs.contains(peer);
    }
}

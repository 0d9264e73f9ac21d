package dev.portico.runtime.policy;

import dev.portico.crds.v1alpha1.AccessControl;
import dev.portico.runtime.forwarding.CidrSet;
import java.net.InetAddress;

/**
 * {@code accessControl}: the resolved client IP must not be denied and, when an allow
 * list exists, must be on it. Deny wins, as in nginx's allow/deny read top-down with
 * the denials first.
 */
public record AccessPolicy(CidrSet allow, CidrSet deny) {

    public static final AccessPolicy OPEN = new AccessPolicy(CidrSet.EMPTY, CidrSet.EMPTY);

    public static AccessPolicy of(AccessControl spec) {
        if (spec == null) {
            return OPEN;
        }
        return new AccessPolicy(CidrSet.of(spec.allow()), CidrSet.of(spec.deny()));
    }

    public boolean permits(InetAddress client) {
        if (deny.contains(client)) {
            return false;
        }
        return allow.isEmpty() || allow.contains(client);
    }
}

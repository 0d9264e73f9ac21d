package dev.portico.runtime.forwarding;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/** A set of IPv4 and IPv6 CIDRs (a plain address is a /32 or /128), matched with Netty's subnet rules. */
public final class CidrSet {

    public static final CidrSet EMPTY = new CidrSet(List.of());

    private final List<IpSubnetFilterRule> rules;

    private CidrSet(List<IpSubnetFilterRule> rules) {
        this.rules = rules;
    }

    /** The CIDRs must already be validated (the crds validator does it). */
    public static CidrSet of(List<String> cidrs) {
        if (cidrs == null || cidrs.isEmpty()) {
            return EMPTY;
        }
        return new CidrSet(cidrs.stream().map(CidrSet::rule).toList());
    }

    private static IpSubnetFilterRule rule(String cidr) {
        int slash = cidr.indexOf('/');
        String address = slash < 0 ? cidr : cidr.substring(0, slash);
        InetAddress parsed = IpAddresses.parse(address);
        if (parsed == null) {
            throw new IllegalArgumentException("not an IP address or CIDR: " + cidr);
        }
        int prefix = slash < 0 ? parsed.getAddress().length * 8 : Integer.parseInt(cidr.substring(slash + 1));
        return new IpSubnetFilterRule(parsed, prefix, IpFilterRuleType.ACCEPT);
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    public boolean contains(InetAddress address) {
        if (rules.isEmpty()) {
            return false;
        }
        InetSocketAddress socketAddress = new InetSocketAddress(address, 0);
        for (IpSubnetFilterRule rule : rules) {
            if (rule.matches(socketAddress)) {
                return true;
            }
        }
        return false;
    }
}

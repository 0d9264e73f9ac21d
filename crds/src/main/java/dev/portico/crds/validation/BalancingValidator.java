package dev.portico.crds.validation;

import static dev.portico.crds.validation.ValueChecks.REQUIRED;

import dev.portico.crds.units.Durations;
import dev.portico.crds.v1alpha1.Backend;
import dev.portico.crds.v1alpha1.LoadBalancer;
import dev.portico.crds.v1alpha1.PassiveHealth;
import dev.portico.crds.v1alpha1.Retries;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks what spreads a route's requests over its backend's endpoints (issue 14): the
 * backend's {@code addresses}, {@code loadBalancer} and {@code healthCheck.passive}, and the
 * route's {@code retries}. The CRD's patterns and CEL rules catch the shape; these checks
 * the values (octets, ports, durations and their order, sizes), with the field's path.
 */
final class BalancingValidator {

    private static final Pattern IPV4_PORT = Pattern.compile("([0-9]{1,3}(?:\\.[0-9]{1,3}){3})(?::([0-9]{1,5}))?");
    private static final Pattern IPV6_PORT = Pattern.compile("\\[([0-9a-fA-F:.]+)](?::([0-9]{1,5}))?");
    private static final Set<String> RETRY_ON = Set.of("connect-failure", "reset", "502", "503", "504");
    private static final Pattern CONTROL_OR_SEMICOLON = Pattern.compile("[\\p{Cntrl};\\s]");

    private BalancingValidator() {}

    static void backend(Violations violations, String path, Backend backend) {
        addresses(violations, path + ".addresses", backend.addresses());
        loadBalancer(violations, path + ".loadBalancer", backend.loadBalancer());
        if (backend.healthCheck() != null) {
            passive(violations, path + ".healthCheck.passive", backend.healthCheck().passive());
        }
    }

    private static void addresses(Violations violations, String path, List<String> addresses) {
        if (addresses == null) {
            return;
        }
        if (addresses.size() > 64) {
            violations.add(path, "at most 64 addresses are allowed, got " + addresses.size());
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < addresses.size(); i++) {
            String item = path + "[" + i + "]";
            String address = addresses.get(i);
            if (address == null) {
                violations.add(item, REQUIRED);
                continue;
            }
            Matcher v4 = IPV4_PORT.matcher(address);
            Matcher v6 = IPV6_PORT.matcher(address);
            String host;
            String port;
            if (v4.matches()) {
                host = v4.group(1);
                port = v4.group(2);
            } else if (v6.matches()) {
                host = v6.group(1);
                port = v6.group(2);
            } else {
                violations.add(item, "must be an IP address with an optional port (10.0.0.5, 10.0.0.5:8080, "
                        + "[fd00::5]:8080), not " + address);
                continue;
            }
            if (!IpAddresses.isIpLiteral(host) || (v4.matches() == host.contains(":"))) {
                violations.add(item, host + " is not a valid IP" + (v4.matches() ? "v4" : "v6") + " address");
            }
            if (port != null && (Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535)) {
                violations.add(item, "port must be 1..65535, not " + port);
            }
            if (!seen.add(address)) {
                violations.add(item, address + " is listed twice");
            }
        }
    }

    private static void loadBalancer(Violations violations, String path, LoadBalancer lb) {
        if (lb == null) {
            return;
        }
        boolean consistent = lb.type() == LoadBalancer.Type.ConsistentHash;
        LoadBalancer.ConsistentHash hash = lb.consistentHash();
        if (consistent && hash == null) {
            violations.add(path + ".consistentHash", "is required with type ConsistentHash");
        }
        if (!consistent && hash != null) {
            violations.add(path + ".consistentHash", "is only allowed with type ConsistentHash");
        }
        if (hash == null) {
            return;
        }
        String hashPath = path + ".consistentHash";
        if (hash.type() == null) {
            violations.add(hashPath + ".type", REQUIRED);
        }
        if (hash.type() == LoadBalancer.HashType.Header) {
            if (hash.header() == null) {
                violations.add(hashPath + ".header", "is required with type Header");
            } else {
                ValueChecks.headerName(violations, hashPath + ".header.name", hash.header().name());
            }
        }
        if (hash.type() == LoadBalancer.HashType.Cookie) {
            LoadBalancer.CookieKey cookie = hash.cookie();
            if (cookie == null) {
                violations.add(hashPath + ".cookie", "is required with type Cookie");
            } else {
                ValueChecks.headerName(violations, hashPath + ".cookie.name", cookie.name());
                ValueChecks.duration(violations, hashPath + ".cookie.ttl", cookie.ttl());
                String cookiePath = cookie.path();
                if (cookiePath != null && (!cookiePath.startsWith("/")
                        || CONTROL_OR_SEMICOLON.matcher(cookiePath).find())) {
                    violations.add(hashPath + ".cookie.path", "must start with / and hold no ';', space or "
                            + "control character");
                }
            }
        }
    }

    private static void passive(Violations violations, String path, PassiveHealth passive) {
        if (passive == null) {
            return;
        }
        range(violations, path + ".consecutiveFailures", passive.consecutiveFailures(), 1, 1000);
        range(violations, path + ".consecutive5xx", passive.consecutive5xx(), 1, 1000);
        range(violations, path + ".maxEjectionPercent", passive.maxEjectionPercent(), 0, 100);
        ValueChecks.duration(violations, path + ".baseEjectionTime", passive.baseEjectionTime());
        ValueChecks.duration(violations, path + ".maxEjectionTime", passive.maxEjectionTime());
        Duration base = parsed(passive.baseEjectionTime());
        Duration max = parsed(passive.maxEjectionTime());
        if (base != null && max != null && base.compareTo(max) > 0) {
            violations.add(path + ".baseEjectionTime", "must not be longer than maxEjectionTime ("
                    + passive.baseEjectionTime() + " > " + passive.maxEjectionTime() + ")");
        }
    }

    static void retries(Violations violations, String path, Retries retries, boolean hasBackend) {
        if (retries == null) {
            return;
        }
        if (!hasBackend) {
            violations.add(path, "is only allowed with backend");
        }
        range(violations, path + ".attempts", retries.attempts(), 1, 5);
        List<String> on = retries.retryOn();
        if (on != null) {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < on.size(); i++) {
                String condition = on.get(i);
                if (!RETRY_ON.contains(condition)) {
                    violations.add(path + ".retryOn[" + i + "]", "must be one of connect-failure, reset, 502, 503, 504, not "
                            + condition);
                } else if (!seen.add(condition)) {
                    violations.add(path + ".retryOn[" + i + "]", condition + " is listed twice");
                }
            }
        }
        ValueChecks.duration(violations, path + ".perTryTimeout", retries.perTryTimeout());
        ValueChecks.size(violations, path + ".maxBufferedBody", retries.maxBufferedBody(), false);
        if (retries.budget() != null) {
            range(violations, path + ".budget.percent", retries.budget().percent(), 0, 100);
            range(violations, path + ".budget.minConcurrent", retries.budget().minConcurrent(), 0, 1000);
        }
    }

    private static void range(Violations violations, String path, Integer value, int min, int max) {
        if (value != null && (value < min || value > max)) {
            violations.add(path, "must be " + min + ".." + max + ", not " + value);
        }
    }

    private static Duration parsed(String text) {
        if (text == null) {
            return null;
        }
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}

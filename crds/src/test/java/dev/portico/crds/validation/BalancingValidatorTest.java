package dev.portico.crds.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.portico.crds.ProxySiteLoader;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** addresses, loadBalancer, healthCheck.passive and route retries: the values the CRD's patterns cannot check. */
class BalancingValidatorTest {

    private static final String HEADER = "apiVersion: portico.dev/v1alpha1\nkind: ProxySite\nmetadata: {name: test}\n";

    private static List<Violation> validateRoute(String route) {
        return ProxySiteValidator.validate(ProxySiteLoader.parse(HEADER + "spec: {hosts: ['*'], routes: [" + route + "]}\n"));
    }

    private static String backend(String extra) {
        return "{backend: {service: app, port: 80, " + extra + "}}";
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{backend: {service: app, port: 80, addresses: ['10.0.0.5', '10.0.0.6:8080', '[fd00::5]:8080', '[fd00::6]']}}",
        "{backend: {service: app, port: 80, loadBalancer: {type: LeastRequest}}}",
        "{backend: {service: app, port: 80, loadBalancer: {type: ConsistentHash, consistentHash: {type: Header, header: {name: X-User}}}}}",
        "{backend: {service: app, port: 80, loadBalancer: {type: ConsistentHash, consistentHash: {type: Cookie, cookie: {name: aff, ttl: 1h, path: /app}}}}}",
        "{backend: {service: app, port: 80, loadBalancer: {type: ConsistentHash, consistentHash: {type: SourceIP}}}}",
        "{backend: {service: app, port: 80, healthCheck: {passive: {consecutiveFailures: 3, consecutive5xx: 5, baseEjectionTime: 30s, maxEjectionTime: 30s, maxEjectionPercent: 100}}}}",
        "{backend: {service: app, port: 80, healthCheck: {passive: {enabled: false}}}}",
        "{backend: {service: app, port: 80}, retries: {attempts: 3, retryOn: [connect-failure, reset, '502', '503', '504'], perTryTimeout: 2s, maxBufferedBody: 1Mi, budget: {percent: 50, minConcurrent: 0}}}",
        "{backend: {service: app, port: 80}, retries: {}}",
    })
    void acceptsValidSettings(String route) {
        assertThat(validateRoute(route)).isEmpty();
    }

    static Stream<Arguments> invalidSettings() {
        String b = "spec.routes[0].backend";
        String r = "spec.routes[0].retries";
        return Stream.of(
                arguments(backend("addresses: ['10.0.0.256']"), b + ".addresses[0]", "not a valid IPv4"),
                arguments(backend("addresses: ['10.0.0.5:0']"), b + ".addresses[0]", "port must be 1..65535"),
                arguments(backend("addresses: ['10.0.0.5:70000']"), b + ".addresses[0]", "port must be 1..65535"),
                arguments(backend("addresses: ['[fd00::5::6]:80']"), b + ".addresses[0]", "not a valid IPv6"),
                arguments(backend("addresses: ['app.example.com']"), b + ".addresses[0]", "must be an IP address"),
                arguments(backend("addresses: ['fd00::5']"), b + ".addresses[0]", "must be an IP address"),
                arguments(backend("addresses: ['10.0.0.5', '10.0.0.5']"), b + ".addresses[1]", "listed twice"),
                arguments(backend("loadBalancer: {type: ConsistentHash}"), b + ".loadBalancer.consistentHash",
                        "required with type ConsistentHash"),
                arguments(backend("loadBalancer: {type: RoundRobin, consistentHash: {type: SourceIP}}"),
                        b + ".loadBalancer.consistentHash", "only allowed with type ConsistentHash"),
                arguments(backend("loadBalancer: {type: ConsistentHash, consistentHash: {type: Header}}"),
                        b + ".loadBalancer.consistentHash.header", "required with type Header"),
                arguments(backend("loadBalancer: {type: ConsistentHash, consistentHash: {type: Header, header: {name: 'X User'}}}"),
                        b + ".loadBalancer.consistentHash.header.name", ""),
                arguments(backend("loadBalancer: {type: ConsistentHash, consistentHash: {type: Cookie}}"),
                        b + ".loadBalancer.consistentHash.cookie", "required with type Cookie"),
                arguments(backend("loadBalancer: {type: ConsistentHash, consistentHash: {type: Cookie, cookie: {name: a, ttl: 0s}}}"),
                        b + ".loadBalancer.consistentHash.cookie.ttl", "greater than 0"),
                arguments(backend("loadBalancer: {type: ConsistentHash, consistentHash: {type: Cookie, cookie: {name: a, path: app}}}"),
                        b + ".loadBalancer.consistentHash.cookie.path", "must start with /"),
                arguments(backend("loadBalancer: {type: ConsistentHash, consistentHash: {type: Cookie, cookie: {name: a, path: '/a;b'}}}"),
                        b + ".loadBalancer.consistentHash.cookie.path", "';'"),
                arguments(backend("healthCheck: {passive: {baseEjectionTime: 0s}}"),
                        b + ".healthCheck.passive.baseEjectionTime", "greater than 0"),
                arguments(backend("healthCheck: {passive: {baseEjectionTime: 10m, maxEjectionTime: 5m}}"),
                        b + ".healthCheck.passive.baseEjectionTime", "not be longer than maxEjectionTime"),
                arguments(backend("healthCheck: {passive: {consecutiveFailures: 0}}"),
                        b + ".healthCheck.passive.consecutiveFailures", "1..1000"),
                arguments(backend("healthCheck: {passive: {maxEjectionPercent: 101}}"),
                        b + ".healthCheck.passive.maxEjectionPercent", "0..100"),
                arguments("{backend: {service: app, port: 80}, retries: {attempts: 6}}", r + ".attempts", "1..5"),
                arguments("{backend: {service: app, port: 80}, retries: {retryOn: ['500']}}", r + ".retryOn[0]", "must be one of"),
                arguments("{backend: {service: app, port: 80}, retries: {retryOn: ['503', '503']}}", r + ".retryOn[1]", "listed twice"),
                arguments("{backend: {service: app, port: 80}, retries: {perTryTimeout: 0s}}", r + ".perTryTimeout",
                        "greater than 0"),
                arguments("{backend: {service: app, port: 80}, retries: {maxBufferedBody: 64 KB}}", r + ".maxBufferedBody",
                        ""),
                arguments("{backend: {service: app, port: 80}, retries: {budget: {percent: 101}}}", r + ".budget.percent",
                        "0..100"),
                arguments("{respond: {status: 200}, retries: {}}", r, "only allowed with backend"));
    }

    @ParameterizedTest
    @MethodSource("invalidSettings")
    void reportsTheViolationAtItsPath(String route, String path, String fragment) {
        assertThat(validateRoute(route)).as(route)
                .anySatisfy(v -> {
                    assertThat(v.path()).isEqualTo(path);
                    assertThat(v.message()).contains(fragment);
                });
    }
}

package dev.portico.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.operator.pki.Lifetimes;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OperatorConfigTest {

    @Test
    void defaultsAreThoseOfTheApi() {
        OperatorConfig config = OperatorConfig.fromEnvironment(Map.of());
        assertThat(config.proxyImage()).startsWith("ghcr.io/portico-dev/proxy-runtime:");
        assertThat(config.watchNamespaces()).isEmpty();
        assertThat(config.serverSideApply()).isTrue();
        assertThat(config.leaderElection()).isTrue();
        assertThat(config.namespace()).isNull();
        assertThat(config.healthPort()).isEqualTo(8081);
        assertThat(config.adminLifetimes()).isEqualTo(new Lifetimes(Duration.ofDays(365), Duration.ofDays(90)));
        assertThat(config.metricsNamespaces()).as("the metrics port open to every namespace").isEmpty();
    }

    @Test
    void readsEveryVariable() {
        OperatorConfig config = OperatorConfig.fromEnvironment(Map.of(
                "PORTICO_PROXY_IMAGE", "registry.example/proxy:1.2",
                "PORTICO_WATCH_NAMESPACES", " aidoo, ,vera ",
                "PORTICO_SERVER_SIDE_APPLY", "false",
                "PORTICO_LEADER_ELECTION", "FALSE",
                "PORTICO_NAMESPACE", "portico-system",
                "PORTICO_HEALTH_PORT", "9090",
                "PORTICO_ADMIN_CA_VALIDITY", "720h",
                "PORTICO_ADMIN_CERT_VALIDITY", "1.5h",
                "PORTICO_METRICS_NAMESPACES", "monitoring, prometheus,",
                "PORTICO_PROXY_CLASSES", "false"));
        assertThat(config).isEqualTo(new OperatorConfig("registry.example/proxy:1.2",
                java.util.Set.of("aidoo", "vera"), false, false, "portico-system", 9090,
                new Lifetimes(Duration.ofDays(30), Duration.ofMinutes(90)), false,
                java.util.Set.of("monitoring", "prometheus")));
    }

    @Test
    void refusesWhatItCannotRead() {
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("PORTICO_LEADER_ELECTION", "maybe")))
                .hasMessageContaining("PORTICO_LEADER_ELECTION");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("PORTICO_HEALTH_PORT", "70000")))
                .hasMessageContaining("PORTICO_HEALTH_PORT");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("PORTICO_ADMIN_CERT_VALIDITY", "90d")))
                .hasMessageStartingWith("PORTICO_ADMIN_CERT_VALIDITY: ");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("PORTICO_ADMIN_CA_VALIDITY", "5s")))
                .hasMessage("PORTICO_ADMIN_CA_VALIDITY must be at least 10s, not 5s");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("PORTICO_ADMIN_CA_VALIDITY", "2000h")))
                .hasMessageContaining("must be at most a third of the admin CA's");
    }
}

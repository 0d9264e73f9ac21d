package dev.portico.operator.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import dev.portico.operator.testbed.ClusterTest;
import dev.portico.operator.testbed.Testbed;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The admin CA's Secret on the real API server: made once and shared by every replica, rotated
 * and retired with the API server's optimistic locking (resourceVersion), and a broken one named
 * rather than silently replaced. Each test has a namespace of its own, so the operators of
 * other suites, whose CA lives in portico-system, are not in the way.
 */
@ClusterTest
class AdminCaStoreTest {

    private final String namespace = "ca-store-" + UUID.randomUUID().toString().substring(0, 8);
    private static final Lifetimes LIFETIMES = new Lifetimes(Duration.ofDays(30), Duration.ofDays(9));

    private final KubernetesClient client = Testbed.shared().admin();

    AdminCaStoreTest() {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
                .create();
    }

    @AfterEach
    void deleteNamespace() {
        client.namespaces().withName(namespace).delete();
    }
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-02T15:00:00Z"));

    private AdminCaStore store() {
        return new AdminCaStore(client, namespace, LIFETIMES, new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        });
    }

    private Secret secret() {
        return client.secrets().inNamespace(namespace).withName(AdminCaStore.SECRET_NAME).get();
    }

    @Test
    void theFirstUseMakesTheCaAndEveryOtherReplicaReadsTheSameOne() {
        AdminCaStore first = store();
        assertThat(first.trusted()).as("nothing before the first use").isEmpty();

        AdminCa made = first.current().ca();

        assertThat(secret().getData()).containsOnlyKeys("ca.crt", "ca.key");
        assertThat(secret().getMetadata().getLabels()).doesNotContainKey("app.kubernetes.io/managed-by");
        assertThat(store().current().ca().issuing().certificate()).isEqualTo(made.issuing().certificate());
        assertThat(first.trusted()).containsExactly(made.issuing().certificate());
    }

    @Test
    void aDueRotationIsWrittenAndThePreviousCaIsRetiredOnceEverySiteServesTheNewOne() {
        AdminCaStore store = store();
        AdminCa first = store.current().ca();
        now.set(now.get().plus(Duration.ofDays(21)));

        AdminCaStore.Current rotated = store.current();

        assertThat(rotated.rotated()).isTrue();
        AdminCa rotating = rotated.ca();
        assertThat(rotating.previous()).isEqualTo(first.issuing().certificate());
        assertThat(secret().getData()).containsKeys("ca.crt", "ca.key", "previous.crt");
        assertThat(store.trusted()).containsExactly(rotating.issuing().certificate(), first.issuing().certificate());
        assertThat(store.current().rotated()).as("once").isFalse();

        List<String> sites = List.of("a/vera", "b/chat");
        assertThat(store.siteServes("a/vera", rotating.issuing().certificate(), sites)).isFalse();
        assertThat(store.siteServes("b/chat", null, sites)).as("b's pods do not all serve it yet").isFalse();
        assertThat(store.siteServes("b/chat", first.issuing().certificate(), sites)).isFalse();
        assertThat(store.trusted()).hasSize(2);

        assertThat(store.siteServes("b/chat", rotating.issuing().certificate(), sites)).isTrue();

        assertThat(store.trusted()).containsExactly(rotating.issuing().certificate());
        assertThat(secret().getData()).doesNotContainKey("previous.crt");
        assertThat(store().current().ca().previous()).as("as another replica reads it").isNull();
    }

    @Test
    void aConcurrentWriteIsReadBackInsteadOfOverwritten() {
        AdminCaStore stale = store();
        stale.current();
        AdminCaStore other = store();
        now.set(now.get().plus(Duration.ofDays(21)));
        AdminCa theirs = other.current().ca(); // rotates and writes first

        AdminCaStore.Current ours = stale.current();

        assertThat(ours.rotated()).isFalse();
        assertThat(ours.ca().issuing().certificate()).isEqualTo(theirs.issuing().certificate());
        assertThat(AdminCa.fromData(decoded(secret())).issuing().certificate())
                .isEqualTo(theirs.issuing().certificate());
    }

    @Test
    void aBrokenSecretIsNamedNotReplaced() {
        client.secrets().inNamespace(namespace).resource(new SecretBuilder()
                .withNewMetadata().withName(AdminCaStore.SECRET_NAME).withNamespace(namespace).endMetadata()
                .withData(Map.of("ca.crt", "bm9wZQ==")).build()).create();

        assertThatThrownBy(() -> store().current())
                .hasMessageContaining(namespace + "/portico-admin-ca is not a usable admin CA")
                .hasMessageContaining("ca.crt");
        assertThat(secret().getData()).containsOnlyKeys("ca.crt");
    }

    private static Map<String, String> decoded(Secret secret) {
        Map<String, String> data = new java.util.HashMap<>();
        secret.getData().forEach((k, v) -> data.put(k, new String(java.util.Base64.getDecoder().decode(v))));
        return data;
    }
}

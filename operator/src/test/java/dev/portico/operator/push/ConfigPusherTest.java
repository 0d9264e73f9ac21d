package dev.portico.operator.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.portico.crds.bundle.ConfigPush;
import dev.portico.operator.pki.AdminCa;
import dev.portico.operator.pki.Authority;
import dev.portico.operator.pki.Lifetimes;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Instant;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pusher's protocol with pods, against a stand-in pod on a real TLS socket that answers as
 * the runtime's admin port does (docs/config-push.md). The real runtime takes the pushes in
 * the end-to-end tests; here the pod's answers, and the certificate it presents, are chosen to
 * drive each branch.
 */
class ConfigPusherTest {

    private static final ResourceID SITE = new ResourceID("vera", "aidoo");
    private static final String TOKEN = "s3cret";
    private static final String VERA = "vera-proxy.aidoo.svc";
    private static final AdminCa CA = AdminCa.create(Instant.now().minus(Duration.ofDays(1)), Lifetimes.DEFAULT);

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final ConcurrentLinkedQueue<ResourceID> wakes = new ConcurrentLinkedQueue<>();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ConfigPusher pusher = new ConfigPusher(new AdminClient(Executors.newCachedThreadPool(), CA::trusted),
            scheduler, wakes::add, now::get, new PushMetrics(registry));
    private StandInPod pod;

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
        if (pod != null) {
            pod.close();
        }
    }

    @Test
    void aPodThatServesSomethingElseGetsTheBundleAndThenCountsAsServing() throws IOException {
        pod = StandInPod.start(1, "sha256:old");
        ConfigPush bundle = bundle(5, "a");

        Rollout first = pusher.converge(SITE, bundle, TOKEN, List.of(pod.asProxyPod("p1")));
        assertThat(first).isEqualTo(new Rollout(0, 1, bundle.hash(), null));
        await().until(() -> wakes.contains(SITE));

        assertThat(pod.received).singleElement().isEqualTo("PUT Bearer " + TOKEN + " " + bundle.hash());
        Rollout second = pusher.converge(SITE, bundle, TOKEN, List.of(pod.asProxyPod("p1")));
        assertThat(second.complete()).isTrue();
        assertThat(second.serving()).isEqualTo(1);
        assertThat(pod.received).as("nothing more to do").hasSize(1);
    }

    @Test
    void aFailingPodIsRetriedWithGrowingPausesAndItsProblemIsReported() throws IOException {
        pod = StandInPod.start(1, "sha256:old");
        pod.refuseWith.set(401);
        ConfigPush bundle = bundle(5, "a");
        ProxyPod target = pod.asProxyPod("p1");

        pusher.converge(SITE, bundle, TOKEN, List.of(target));
        await().until(() -> pod.received.size() == 1);
        await().pollDelay(Duration.ofMillis(50)).until(() -> pusher.converge(SITE, bundle, TOKEN, List.of(target)).problem() != null);
        Rollout failing = pusher.converge(SITE, bundle, TOKEN, List.of(target));
        assertThat(failing.problem()).startsWith("p1: HTTP 401");
        assertThat(pod.received).as("backing off: no second push at once").hasSize(1);

        // The scheduled wake comes after the first backoff; the clock has moved past it.
        await().atMost(Duration.ofSeconds(5)).until(() -> wakes.contains(SITE));
        now.addAndGet(ConfigPusher.FIRST_BACKOFF.toNanos());
        pod.refuseWith.set(0);
        pusher.converge(SITE, bundle, TOKEN, List.of(target));
        await().until(() -> pusher.converge(SITE, bundle, TOKEN, List.of(target)).complete());
        assertThat(pod.received).hasSize(2);
    }

    @Test
    void pushesAreCountedByOutcomeAndTimedInThePrometheusScrape() throws IOException {
        assertThat(pushes("applied")).as("registered before the first push").isZero();
        assertThat(pushes("failed")).isZero();
        pod = StandInPod.start(1, "sha256:old");
        ConfigPush bundle = bundle(5, "a");
        ProxyPod target = pod.asProxyPod("p1");

        pusher.converge(SITE, bundle, TOKEN, List.of(target));
        await().until(() -> pushes("applied") == 1);
        await().until(() -> pusher.converge(SITE, bundle, TOKEN, List.of(target)).complete());
        // Re-asking a serving pod what it serves is not a push.
        now.addAndGet(ConfigPusher.VERIFY_EVERY.toNanos());
        pusher.converge(SITE, bundle, TOKEN, List.of(target));
        await().until(() -> pod.received.size() == 2);

        ConfigPush next = bundle(6, "b");
        pod.refuseWith.set(401);
        now.addAndGet(ConfigPusher.VERIFY_EVERY.toNanos());
        pusher.converge(SITE, next, TOKEN, List.of(target));
        await().until(() -> pushes("refused") == 1);

        ProxyPod gone = new ProxyPod("p2", "uid-p2/0", "127.0.0.1", closedPort(), VERA);
        pusher.converge(SITE, next, TOKEN, List.of(gone));
        await().until(() -> pushes("failed") == 1);

        String scrape = registry.scrape();
        assertThat(pushes("applied")).isEqualTo(1);
        assertThat(value(scrape, "portico_operator_config_push_duration_seconds_count")).isEqualTo(3);
        assertThat(value(scrape, "portico_operator_config_push_duration_seconds_bucket{le=\"10.0\"}")).isEqualTo(3);
        assertThat(value(scrape, "portico_operator_config_push_duration_seconds_sum")).isPositive();
    }

    @Test
    void aPodThatServesSomethingNewerCountsAsARefusal() throws IOException {
        pod = StandInPod.start(9, "sha256:newer");
        pusher.converge(SITE, bundle(5, "a"), TOKEN, List.of(pod.asProxyPod("p1")));
        await().until(() -> pushes("refused") == 1);
        assertThat(pushes("applied")).isZero();
    }

    private double pushes(String outcome) {
        Double value = value(registry.scrape(), "portico_operator_config_pushes_total{outcome=\"" + outcome + "\"}");
        return value == null ? -1 : value;
    }

    private static Double value(String scrape, String series) {
        var m = java.util.regex.Pattern.compile("^" + java.util.regex.Pattern.quote(series) + " (\\S+)$",
                java.util.regex.Pattern.MULTILINE).matcher(scrape);
        return m.find() ? Double.valueOf(m.group(1)) : null;
    }

    private static int closedPort() throws IOException {
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void backoffDoublesUpToItsCeiling() {
        assertThat(ConfigPusher.backoff(1)).isEqualTo(Duration.ofMillis(250));
        assertThat(ConfigPusher.backoff(2)).isEqualTo(Duration.ofMillis(500));
        assertThat(ConfigPusher.backoff(5)).isEqualTo(Duration.ofSeconds(4));
        assertThat(ConfigPusher.backoff(40)).isEqualTo(ConfigPusher.MAX_BACKOFF);
    }

    @Test
    void aPodServingANewerRevisionIsNotPushedInALoop() throws IOException {
        pod = StandInPod.start(9, "sha256:newer");
        ConfigPush older = bundle(5, "a");
        ProxyPod target = pod.asProxyPod("p1");

        pusher.converge(SITE, older, TOKEN, List.of(target));
        await().until(() -> pusher.converge(SITE, older, TOKEN, List.of(target)).problem() != null);
        for (int i = 0; i < 20; i++) {
            pusher.converge(SITE, older, TOKEN, List.of(target));
        }

        assertThat(pod.received).hasSize(1);
        assertThat(pusher.converge(SITE, older, TOKEN, List.of(target)).problem())
                .contains("refused revision 5: serves revision 9 sha256:newer");
    }

    @Test
    void aServingPodIsAskedAgainLaterAndRePushedWhenItLostTheBundle() throws IOException {
        pod = StandInPod.start(1, "sha256:old");
        ConfigPush bundle = bundle(5, "a");
        ProxyPod target = pod.asProxyPod("p1");
        pusher.converge(SITE, bundle, TOKEN, List.of(target));
        await().until(() -> pusher.converge(SITE, bundle, TOKEN, List.of(target)).complete());

        pod.serve(1, "sha256:old"); // e.g. the process was replaced behind the same pod incarnation
        now.addAndGet(ConfigPusher.VERIFY_EVERY.toNanos());
        pusher.converge(SITE, bundle, TOKEN, List.of(target));
        await().until(() -> pod.received.size() == 2);
        assertThat(pod.received.toArray()[1]).isEqualTo("GET");
        await().until(() -> !pusher.converge(SITE, bundle, TOKEN, List.of(target)).complete());

        await().until(() -> pusher.converge(SITE, bundle, TOKEN, List.of(target)).complete());
        assertThat(pod.received).hasSize(3);
        assertThat(pod.received.toArray()[2]).asString().startsWith("PUT");
    }

    @Test
    void aNewIncarnationOfAPodIsNotTrustedWithWhatTheOldOneServed() throws IOException {
        pod = StandInPod.start(1, "sha256:old");
        ConfigPush bundle = bundle(5, "a");
        pusher.converge(SITE, bundle, TOKEN, List.of(pod.asProxyPod("p1")));
        await().until(() -> pusher.converge(SITE, bundle, TOKEN, List.of(pod.asProxyPod("p1"))).complete());

        ProxyPod restarted = new ProxyPod("p1", "uid-p1/1", "127.0.0.1", pod.port(), VERA);
        assertThat(pusher.converge(SITE, bundle, TOKEN, List.of(restarted)).serving()).isZero();
    }

    @Test
    void whatWasKnownAboutADeletedSitesPodsIsDropped() throws IOException {
        pod = StandInPod.start(1, "sha256:old");
        ResourceID deleted = new ResourceID("gone", "aidoo");
        pusher.converge(deleted, bundle(5, "a"), TOKEN, List.of(pod.asProxyPod("p1")));
        now.addAndGet(ConfigPusher.VERIFY_EVERY.toNanos());
        pusher.converge(SITE, bundle(5, "a"), TOKEN, List.of());
        assertThat(pusher.sitesKnown()).isEqualTo(2);

        // The live site keeps converging every period; the deleted one never again.
        for (int i = 0; i < 3; i++) {
            now.addAndGet(ConfigPusher.VERIFY_EVERY.toNanos());
            pusher.converge(SITE, bundle(5, "a"), TOKEN, List.of());
        }
        assertThat(pusher.sitesKnown()).isEqualTo(1);
    }

    @Test
    void aPodPresentingAnotherSitesCertificateIsRefusedAndSaysWhy() throws IOException {
        pod = StandInPod.start(1, "sha256:old", CA.issuing().issue(List.of("mallory-proxy.aidoo.svc"), Instant.now(),
                Duration.ofDays(1)));

        assertThat(refusal()).isEqualTo("p1: admin certificate refused: admin certificate names "
                + "[mallory-proxy.aidoo.svc], not " + VERA);
    }

    @Test
    void aPodPresentingASelfSignedCertificateIsRefused() throws IOException {
        Authority stranger = Authority.create(Instant.now(), Duration.ofDays(1));
        pod = StandInPod.start(1, "sha256:old", stranger.issue(List.of(VERA), Instant.now(), Duration.ofDays(1)));

        assertThat(refusal()).startsWith("p1: admin certificate refused: admin certificate of CN=" + VERA
                + " is not signed by the operator's admin CA");
    }

    @Test
    void aPodPresentingAnExpiredCertificateIsRefused() throws IOException {
        Instant issued = Instant.now().minus(Duration.ofDays(3));
        pod = StandInPod.start(1, "sha256:old", CA.issuing().issue(List.of(VERA), issued, Duration.ofDays(1)));

        assertThat(refusal()).isEqualTo("p1: admin certificate refused: admin certificate of CN=" + VERA
                + " expired on " + issued.plus(Duration.ofDays(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    }

    /** Converges once against the stand-in pod and returns the problem reported; the pod must have received nothing. */
    private String refusal() {
        ConfigPush bundle = bundle(5, "a");
        ProxyPod target = pod.asProxyPod("p1");
        pusher.converge(SITE, bundle, TOKEN, List.of(target));
        await().until(() -> pusher.converge(SITE, bundle, TOKEN, List.of(target)).problem() != null);
        Rollout refused = pusher.converge(SITE, bundle, TOKEN, List.of(target));
        assertThat(refused.serving()).isZero();
        assertThat(pod.received).as("neither the token nor the bundle reached the pod").isEmpty();
        return refused.problem();
    }

    private static ConfigPush bundle(long revision, String content) {
        return ConfigPush.of(revision, Map.of("site.yaml", content));
    }

    /** Answers GET and PUT /config like the runtime's admin port, and records what it was sent. */
    static final class StandInPod {
        final ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();
        final AtomicInteger refuseWith = new AtomicInteger();
        private final HttpsServer server;
        private volatile long revision;
        private volatile String hash;

        private StandInPod(HttpsServer server) {
            this.server = server;
        }

        /** With a certificate of the test CA that names the site's Service, as a pod's does. */
        static StandInPod start(long revision, String hash) throws IOException {
            return start(revision, hash, CA.issuing().issue(List.of(VERA, VERA + ".cluster.local"), Instant.now(),
                    Duration.ofDays(1)));
        }

        static StandInPod start(long revision, String hash, Authority.Issued certificate) throws IOException {
            HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setHttpsConfigurator(new HttpsConfigurator(serverContext(certificate)));
            StandInPod pod = new StandInPod(server);
            pod.serve(revision, hash);
            server.createContext("/config", pod::handle);
            server.start();
            return pod;
        }

        void serve(long revision, String hash) {
            this.revision = revision;
            this.hash = hash;
        }

        int port() {
            return server.getAddress().getPort();
        }

        ProxyPod asProxyPod(String name) {
            return new ProxyPod(name, "uid-" + name + "/0", "127.0.0.1", port(), VERA);
        }

        private void handle(HttpExchange exchange) throws IOException {
            byte[] body = exchange.getRequestBody().readAllBytes();
            int status = 200;
            if (exchange.getRequestMethod().equals("PUT")) {
                ConfigPush push = ConfigPush.fromJson(body);
                received.add("PUT " + exchange.getRequestHeaders().getFirst("Authorization") + " " + push.hash());
                if (refuseWith.get() != 0) {
                    status = refuseWith.get();
                } else if (push.revision() < revision) {
                    status = 409;
                } else {
                    serve(push.revision(), push.hash());
                }
            } else {
                received.add("GET");
            }
            byte[] answer = status == 200 || status == 409
                    ? ("{\"name\":\"vera\",\"generation\":0,\"revision\":" + revision + ",\"hash\":\"" + hash + "\"}")
                            .getBytes(StandardCharsets.UTF_8)
                    : "refused\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        }

        void close() {
            server.stop(0);
        }

        private static SSLContext serverContext(Authority.Issued certificate) {
            try {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("pod", certificate.key(), new char[0],
                        certificate.chain().toArray(java.security.cert.X509Certificate[]::new));
                KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                factory.init(keys, new char[0]);
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(factory.getKeyManagers(), null, null);
                return context;
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}

package dev.portico.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.operator.api.ProxySiteResource;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.RunningProxy;
import dev.portico.runtime.testing.SiteFiles;
import dev.portico.runtime.testing.TestBackend;
import dev.portico.runtime.tls.TestCertificates;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/monitoring/grafana-dashboard.json asks only for what is exported: every metric name in
 * every panel's PromQL (and in the variables' queries) is found in a real scrape, with the labels
 * the query matches on or groups by. The runtime's names come from the {@code --metrics-port} of a
 * real runtime on loopback after real traffic (a 200, a 502, a TLS certificate serving); the
 * operator's from its health port's {@code /metrics} after it reconciled one site and failed on
 * another, as {@link OperatorMain} wires it (JOSDK's Micrometer metrics and ours in one registry).
 * Labels the scrape cannot have are those Prometheus adds to a target ({@code namespace},
 * {@code pod}, ...) and {@code site}, which the chart's PodMonitor copies from the pod's label.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(120)
class GrafanaDashboardTest {

    private static final Path DASHBOARD = Path.of(System.getProperty("basedir", ".")).resolve("..")
            .normalize().resolve("deploy/monitoring/grafana-dashboard.json");
    private static final Set<String> TARGET_LABELS = Set.of("namespace", "pod", "container", "job", "instance",
            "service", "endpoint", "site");
    private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "offset", "and", "or", "unless", "inf", "nan");

    /** Series name to the label names seen on it. */
    private static Map<String, Set<String>> runtime;

    KubernetesMockServer server;
    KubernetesClient client;

    @BeforeAll
    static void scrapeARuntime(@TempDir Path dir) throws IOException {
        TestCertificates.Issued certificate = TestCertificates.newCa("Portico dashboard CA")
                .issue(TestCertificates.leaf("site").ec().sans("localhost"));
        TestCertificates.write(dir.resolve("secrets"), "site-tls", certificate, TestCertificates.KeyFormat.PKCS8);
        try (TestBackend backend = TestBackend.start("app")) {
            Path site = SiteFiles.write(dir, """
                    apiVersion: portico.dev/v1alpha1
                    kind: ProxySite
                    metadata: {name: dashboard, generation: 1}
                    spec:
                      hosts: ["*"]
                      tls:
                        certificates: [{secretName: site-tls}]
                        httpRedirect: false
                      routes:
                        - match: {path: {value: /down}}
                          backend: {service: 127.0.0.1, port: %d}
                        - match: {path: {value: /}}
                          backend: {service: 127.0.0.1, port: %d}
                    """.formatted(closedPort(), backend.port()));
            try (RunningProxy proxy = RunningProxy.start(RunningProxy.options(site, dir.resolve("secrets"))
                    .withMetrics("127.0.0.1", 0))) {
                assertThat(proxy.get("/app").status()).isEqualTo(200);
                assertThat(proxy.get("/down/x").status()).isEqualTo(502);
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    runtime = series(scrape(proxy.runtime().metricsPort()));
                    return runtime.containsKey("portico_requests_total")
                            && runtime.get("portico_requests_total").contains("status");
                });
            }
        }
    }

    private static String scrape(int port) throws IOException {
        try (RawHttpClient client = RawHttpClient.connect(port)) {
            client.send("GET /metrics HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n");
            RawResponse response = client.readResponse();
            assertThat(response.status()).isEqualTo(200);
            return response.bodyText();
        }
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Reconciles one site to the end and fails on another (its Deployment refused), then scrapes /metrics. */
    private Map<String, Set<String>> scrapeAnOperator() throws Exception {
        server.expectCustomResource(CustomResourceDefinitionContext.fromCustomResourceType(ProxySiteResource.class));
        server.expect().post().withPath("/apis/apps/v1/namespaces/broken/deployments").andReturn(403, """
                {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
                 "message": "deployments.apps is forbidden"}""").always();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        OperatorConfig config = new OperatorConfig("portico/proxy-runtime:test", Set.of(), false, false, null, 0);
        Operator operator = PorticoOperator.create(config, client, MicrometerMetrics.withoutPerResourceMetrics(registry),
                registry, false);
        try (HealthServer health = HealthServer.start(0, operator::getRuntimeInfo, registry)) {
            operator.start();
            for (String namespace : List.of("working", "broken")) {
                client.services().inNamespace(namespace).resource(new ServiceBuilder()
                        .withNewMetadata().withName("vera").endMetadata()
                        .withNewSpec().addNewPort().withPort(80).endPort().endSpec().build()).create();
                ProxySiteResource site = new ProxySiteResource();
                site.setMetadata(new ObjectMetaBuilder().withName("vera").withNamespace(namespace).build());
                site.setSpec(dev.portico.crds.ProxySiteLoader.parse("""
                        apiVersion: portico.dev/v1alpha1
                        kind: ProxySite
                        spec:
                          hosts: [vera.example.com]
                          routes: [{backend: {service: vera, port: 80}}]
                        """).spec());
                client.resources(ProxySiteResource.class).inNamespace(namespace).resource(site).create();
            }
            HttpClient http = HttpClient.newHttpClient();
            URI metrics = URI.create("http://127.0.0.1:" + health.port() + "/metrics");
            AtomicReference<Map<String, Set<String>>> scraped = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                scraped.set(series(http.send(HttpRequest.newBuilder(metrics).build(),
                        HttpResponse.BodyHandlers.ofString()).body()));
                return scraped.get().containsKey("operator_sdk_reconciliations_success_total")
                        && scraped.get().containsKey("operator_sdk_reconciliations_failed_total");
            });
            return scraped.get();
        } finally {
            operator.stop();
        }
    }

    @Test
    void everyMetricTheDashboardQueriesIsExportedWithTheLabelsItUses() throws Exception {
        Map<String, Set<String>> operator = scrapeAnOperator();
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
        List<String> problems = new ArrayList<>();
        Set<String> used = new TreeSet<>();
        for (Map.Entry<String, String> query : queries(dashboard).entrySet()) {
            String where = query.getKey();
            String expr = query.getValue();
            Query parsed = Query.parse(expr);
            if (parsed.metrics().isEmpty()) {
                problems.add(where + ": no metric in " + expr);
            }
            Set<String> labelsOfTheseMetrics = new HashSet<>();
            for (String metric : parsed.metrics()) {
                used.add(metric);
                Map<String, Set<String>> source = metric.startsWith("operator_sdk_")
                        || metric.startsWith("portico_operator_") ? operator : runtime;
                Set<String> labels = source.get(metric);
                if (labels == null) {
                    problems.add(where + ": " + metric + " is not in the "
                            + (source == operator ? "operator's" : "runtime's") + " scrape");
                    continue;
                }
                labelsOfTheseMetrics.addAll(labels);
                for (String label : parsed.matchers().getOrDefault(metric, Set.of())) {
                    if (!labels.contains(label) && !TARGET_LABELS.contains(label)) {
                        problems.add(where + ": " + metric + " has no label " + label + " (it has " + labels + ")");
                    }
                }
            }
            for (String label : parsed.grouping()) {
                if (!labelsOfTheseMetrics.contains(label) && !TARGET_LABELS.contains(label)
                        && !parsed.strings().contains(label)) {
                    problems.add(where + ": groups by " + label + ", which none of " + parsed.metrics() + " has");
                }
            }
        }
        assertThat(problems).isEmpty();
        // What the dashboard is for, so that an emptied or unparsed dashboard cannot pass.
        assertThat(used).contains("portico_requests_total", "portico_request_duration_seconds_bucket",
                "portico_connections_open", "portico_config_push_total", "portico_tls_certificate_expiry_seconds",
                "portico_operator_config_pushes_total", "operator_sdk_reconciliations_started_total",
                "operator_sdk_reconciliations_failed_total", "operator_sdk_controllers_execution_reconcile_seconds_bucket");
    }

    @Test
    void itIsAGrafanaDashboardWithADataSourceAndNamespaceAndSiteVariables() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
        assertThat(dashboard.path("schemaVersion").asInt()).isBetween(36, 41);
        assertThat(dashboard.path("uid").asText()).isNotBlank();
        Map<String, JsonNode> variables = new TreeMap<>();
        dashboard.at("/templating/list").forEach(v -> variables.put(v.path("name").asText(), v));
        assertThat(variables).containsOnlyKeys("datasource", "namespace", "site");
        assertThat(variables.get("datasource").path("type").asText()).isEqualTo("datasource");
        assertThat(variables.get("datasource").path("query").asText()).isEqualTo("prometheus");
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : panels(dashboard)) {
            assertThat(ids.add(panel.path("id").asInt())).as("panel ids are unique").isTrue();
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            String title = panel.path("title").asText();
            assertThat(panel.at("/datasource/uid").asText()).as(title).isEqualTo("${datasource}");
            assertThat(panel.path("targets")).as(title).isNotEmpty();
            panel.path("targets").forEach(target -> assertThat(target.at("/datasource/uid").asText()).as(title)
                    .isEqualTo("${datasource}"));
            JsonNode grid = panel.path("gridPos");
            assertThat(grid.path("x").asInt() + grid.path("w").asInt()).as(title).isLessThanOrEqualTo(24);
        }
    }

    @Test
    void theQueryParserFindsEveryMetricAndLabel() {
        Query query = Query.parse("sum by (class) (label_replace(rate(portico_requests_total{namespace=~\"$namespace\","
                + " status=~\"5..\"}[$__rate_interval]), \"class\", \"${1}xx\", \"status\", \"(.)..\")) / on (site)"
                + " group_left histogram_quantile(0.95, sum without (pod) (rate(some_bucket[5m]))) * 1e3 > bare_gauge");
        assertThat(query.metrics()).containsExactlyInAnyOrder("portico_requests_total", "some_bucket", "bare_gauge");
        assertThat(query.matchers()).containsOnly(Map.entry("portico_requests_total", Set.of("namespace", "status")));
        assertThat(query.grouping()).containsExactlyInAnyOrder("class", "site", "pod");
        assertThat(query.strings()).contains("class", "status");
        Query variable = Query.parse("label_values(portico_requests_total{namespace=~\"$namespace\"}, route)");
        assertThat(variable.metrics()).containsExactly("portico_requests_total");
        assertThat(variable.grouping()).containsExactly("route");
    }

    /** Where each PromQL query is ("panel title / refId", "variable name") to the query. */
    private static Map<String, String> queries(JsonNode dashboard) {
        Map<String, String> queries = new TreeMap<>();
        for (JsonNode panel : panels(dashboard)) {
            panel.path("targets").forEach(target -> queries.put(panel.path("title").asText() + " / "
                    + target.path("refId").asText(), target.path("expr").asText()));
        }
        dashboard.at("/templating/list").forEach(variable -> {
            if (variable.path("type").asText().equals("query")) {
                queries.put("variable " + variable.path("name").asText(), variable.at("/query/query").asText());
            }
        });
        return queries;
    }

    private static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> panels = new ArrayList<>();
        dashboard.path("panels").forEach(panel -> {
            panels.add(panel);
            panel.path("panels").forEach(panels::add); // a collapsed row holds its panels
        });
        return panels;
    }

    /** The series of a Prometheus text exposition, by name, with the label names seen on each. */
    private static Map<String, Set<String>> series(String exposition) {
        Map<String, Set<String>> series = new TreeMap<>();
        Matcher line = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)\\})? ", Pattern.MULTILINE)
                .matcher(exposition);
        while (line.find()) {
            Set<String> labels = series.computeIfAbsent(line.group(1), k -> new TreeSet<>());
            if (line.group(3) != null) {
                Matcher label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"").matcher(line.group(3));
                while (label.find()) {
                    labels.add(label.group(1));
                }
            }
        }
        return series;
    }

    /**
     * What a PromQL expression names: metrics, the labels each selector matches on, the labels it
     * groups or matches by, and its string literals (label_replace's new labels among them).
     */
    record Query(Set<String> metrics, Map<String, Set<String>> matchers, Set<String> grouping, Set<String> strings) {

        private static final Pattern STRING = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");
        private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)?\\s*\\{([^}]*)}");
        private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)");
        private static final Pattern GROUPING = Pattern.compile(
                "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");
        private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
        /** A variable's query: Grafana's label_values(selector, label), not PromQL. */
        private static final Pattern LABEL_VALUES = Pattern.compile(
                "^\\s*label_values\\((.*),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)\\s*$");

        static Query parse(String expr) {
            Matcher labelValues = LABEL_VALUES.matcher(expr);
            if (labelValues.matches()) {
                Query selector = parse(labelValues.group(1));
                Set<String> grouping = new TreeSet<>(selector.grouping());
                grouping.add(labelValues.group(2));
                return new Query(selector.metrics(), selector.matchers(), grouping, selector.strings());
            }
            Set<String> strings = new HashSet<>();
            Matcher string = STRING.matcher(expr);
            while (string.find()) {
                strings.add(string.group(1));
            }
            String rest = STRING.matcher(expr).replaceAll("\"\"")
                    .replaceAll("\\$\\{?[a-zA-Z0-9_]+}?", "")  // Grafana variables
                    .replaceAll("\\[[^]]*]", "");              // range selectors
            Set<String> metrics = new TreeSet<>();
            Map<String, Set<String>> matchers = new TreeMap<>();
            Matcher selector = SELECTOR.matcher(rest);
            while (selector.find()) {
                Set<String> labels = new TreeSet<>();
                Matcher matcher = MATCHER.matcher(selector.group(2));
                while (matcher.find()) {
                    labels.add(matcher.group(1));
                }
                if (selector.group(1) != null) {
                    metrics.add(selector.group(1));
                    matchers.computeIfAbsent(selector.group(1), k -> new TreeSet<>()).addAll(labels);
                }
            }
            rest = SELECTOR.matcher(rest).replaceAll(" ");
            Set<String> grouping = new TreeSet<>();
            Matcher group = GROUPING.matcher(rest);
            while (group.find()) {
                for (String label : group.group(2).split(",")) {
                    if (!label.isBlank()) {
                        grouping.add(label.strip());
                    }
                }
            }
            rest = GROUPING.matcher(rest).replaceAll(" ")
                    .replaceAll("(?<![a-zA-Z_:])[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?", " ");
            Matcher identifier = IDENTIFIER.matcher(rest);
            while (identifier.find()) {
                String name = identifier.group();
                boolean call = rest.substring(identifier.end()).stripLeading().startsWith("(");
                if (!call && !PROMQL_WORDS.contains(name)) {
                    metrics.add(name);
                }
            }
            return new Query(metrics, matchers, grouping, strings);
        }
    }
}

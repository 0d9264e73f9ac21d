package dev.portico.runtime.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.runtime.ProxyRuntime;
import dev.portico.runtime.RuntimeOptions;
import dev.portico.runtime.testing.RawHttpClient;
import dev.portico.runtime.testing.RawResponse;
import dev.portico.runtime.testing.ServiceDirectory;
import dev.portico.runtime.testing.SiteFiles;
import dev.portico.runtime.testing.TestBackend;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An embedder's resolver decides where a backend's service name and port lead. */
class UpstreamResolverTest {

    @TempDir
    Path dir;

    @Test
    void serviceNamesAndPortsGoWhereTheResolverSays() throws Exception {
        try (TestBackend orders = TestBackend.start("orders"); TestBackend web = TestBackend.start("web")) {
            ServiceDirectory services = new ServiceDirectory().put("orders", 8000, orders).put("web", 3000, web);
            Path site = SiteFiles.write(dir, """
                    apiVersion: portico.dev/v1alpha1
                    kind: ProxySite
                    metadata: {name: shop}
                    spec:
                      hosts: ["shop.example.com"]
                      routes:
                        - match: {path: {value: /api}}
                          backend: {service: orders, port: 8000}
                        - match: {path: {value: /gone}}
                          backend: {service: nowhere, port: 80}
                        - match: {path: {value: /}}
                          backend: {service: web, port: 3000}
                    """);
            RuntimeOptions options = new RuntimeOptions(site, dir.resolve("secrets"), "127.0.0.1", 0, 0, "127.0.0.1", 0,
                    1, Duration.ofSeconds(1), Duration.ofMillis(100));
            try (ProxyRuntime runtime = ProxyRuntime.start(options, services);
                 RawHttpClient client = RawHttpClient.connect(runtime.httpPort())) {
                RawResponse api = get(client, "/api/cart");
                RawResponse page = get(client, "/index.html");
                RawResponse unknown = get(client, "/gone");

                assertThat(api.status()).isEqualTo(200);
                assertThat(api.bodyText()).isEqualTo("ok orders GET /api/cart");
                assertThat(page.bodyText()).isEqualTo("ok web GET /index.html");
                assertThat(unknown.status()).as("a name nobody knows: no upstream to send to").isEqualTo(503);
            }
        }
    }

    private static RawResponse get(RawHttpClient client, String target) throws java.io.IOException {
        return client.send("GET " + target + " HTTP/1.1\r\nHost: shop.example.com\r\n\r\n").readResponse();
    }
}

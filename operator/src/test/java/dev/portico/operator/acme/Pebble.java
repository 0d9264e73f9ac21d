package dev.portico.operator.acme;

import dev.portico.operator.testbed.Testbed;
import dev.portico.runtime.testing.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Let's Encrypt's ACME test server on loopback, for real: Pebble (tools/pebble/build.sh) with
 * pebble-challtestsrv as its DNS. Its HTTP-01 validations go to {@code httpPort} of whatever
 * address a host resolves to; only the hosts given to {@link #resolve} resolve (no default
 * address), so a host left out is one "that does not resolve here". Validations are not
 * delayed (PEBBLE_VA_NOSLEEP), nonces never refused at random, authorizations never reused: each
 * order validates for real. {@link #BLOCKED} is refused by its policy. Pebble can be stopped and started again on the same port (a CA
 * that is down); it forgets its accounts and orders when it does, as a reset CA would.
 */
public final class Pebble implements AutoCloseable {

    private static final Duration START = Duration.ofSeconds(20);
    /** A name the CA refuses to issue for, as a CA's policy refuses some. */
    public static final String BLOCKED = "blocked.example.com";

    private final Path bin;
    private final Path config;
    private final int port = FreePorts.next();
    private final int dnsPort = FreePorts.next();
    private final int dnsManagement = FreePorts.next();
    private final HttpClient http;
    private final Process challtestsrv;
    private Process pebble;

    /**
     * @param httpPort where the CA validates HTTP-01 (the proxy pods' HTTP port)
     * @param validity the life of the certificates it issues
     */
    public Pebble(Path work, int httpPort, Duration validity) {
        bin = build();
        try {
            Files.createDirectories(work);
            config = work.resolve("pebble-config.json");
            Files.writeString(config, """
                    {"pebble": {
                      "listenAddress": "127.0.0.1:%d",
                      "managementListenAddress": "127.0.0.1:%d",
                      "certificate": "%s",
                      "privateKey": "%s",
                      "httpPort": %d,
                      "tlsPort": %d,
                      "ocspResponderURL": "",
                      "externalAccountBindingRequired": false,
                      "domainBlocklist": ["%s"],
                      "retryAfter": {"authz": 1, "order": 1},
                      "keyAlgorithm": "ecdsa",
                      "profiles": {"default": {"description": "test", "validityPeriod": %d}}
                    }}
                    """.formatted(port, FreePorts.next(), bin.resolve("certs/cert.pem"), bin.resolve("certs/key.pem"),
                    httpPort, FreePorts.next(), BLOCKED, validity.toSeconds()));
            http = HttpClient.newBuilder().sslContext(trusting(caFile())).connectTimeout(Duration.ofSeconds(2)).build();
            challtestsrv = new ProcessBuilder(bin.resolve("pebble-challtestsrv").toString(),
                    "-management", "127.0.0.1:" + dnsManagement, "-dnsserver", "127.0.0.1:" + dnsPort,
                    "-defaultIPv4", "", "-defaultIPv6", "", "-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "")
                    .redirectErrorStream(true).redirectOutput(work.resolve("challtestsrv.log").toFile()).start();
            awaitUp(URI.create("http://127.0.0.1:" + dnsManagement + "/"), false);
            start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The directory URL, as a site's tls.acme.directory. */
    public String directory() {
        return "https://localhost:" + port + "/dir";
    }

    /** The root that signed Pebble's listener certificate: the operator's PORTICO_ACME_CA_FILE. */
    public Path caFile() {
        return bin.resolve("certs/pebble.minica.pem");
    }

    /** Makes {@code host} resolve (A records) to {@code addresses} in the CA's DNS. */
    public void resolve(String host, List<String> addresses) {
        String body = "{\"host\":\"" + host + "\",\"addresses\":[" + String.join(",",
                addresses.stream().map(a -> "\"" + a + "\"").toList()) + "]}";
        send(URI.create("http://127.0.0.1:" + dnsManagement + "/add-a"), body);
    }

    /** Starts Pebble (again), and waits until its directory answers. */
    public synchronized void start() {
        if (pebble != null && pebble.isAlive()) {
            return;
        }
        try {
            ProcessBuilder builder = new ProcessBuilder(bin.resolve("pebble").toString(), "-config", config.toString(),
                    "-dnsserver", "127.0.0.1:" + dnsPort)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(config.resolveSibling("pebble.log").toFile()));
            builder.environment().put("PEBBLE_VA_NOSLEEP", "1");
            builder.environment().put("PEBBLE_WFE_NONCEREJECT", "0");
            builder.environment().put("PEBBLE_AUTHZREUSE", "0");
            pebble = builder.start();
            awaitUp(URI.create(directory()), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops Pebble: its port refuses connections, as a CA that is down does. */
    public synchronized void stop() {
        if (pebble != null) {
            pebble.destroy();
            try {
                pebble.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** What Pebble logged, for failure messages. */
    public String log() {
        try {
            return Files.readString(config.resolveSibling("pebble.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Override
    public void close() {
        stop();
        challtestsrv.destroy();
    }

    private void awaitUp(URI uri, boolean tls) {
        Instant deadline = Instant.now().plus(START);
        while (true) {
            try {
                http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException e) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException((tls ? "pebble" : "pebble-challtestsrv") + " did not start: " + e
                            + "\n" + log());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private void send(URI uri, String body) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(uri + ": " + response.statusCode() + " " + response.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static SSLContext trusting(Path pem) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (var certificate : CertificateFactory.getInstance("X.509")
                    .generateCertificates(Files.newInputStream(pem))) {
                store.setCertificateEntry("pebble-" + i++, (X509Certificate) certificate);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + pem, e);
        }
    }

    /** tools/pebble/build.sh's directory (built once per machine; .ci/run builds it ahead). */
    private static Path build() {
        try {
            Process build = new ProcessBuilder("bash", Testbed.repo().resolve("tools/pebble/build.sh").toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (build.waitFor() != 0) {
                throw new IllegalStateException("tools/pebble/build.sh failed");
            }
            return Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

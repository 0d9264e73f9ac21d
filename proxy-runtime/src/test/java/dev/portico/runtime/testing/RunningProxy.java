package dev.portico.runtime.testing;

import dev.portico.runtime.ProxyRuntime;
import dev.portico.runtime.RuntimeOptions;
import dev.portico.runtime.admin.AdminLimits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The proxy runtime started in-process on free loopback ports, serving a site written
 * from YAML. {@link #reconfigure} rewrites the site file and applies it at once, the way
 * the hot reload would within its poll interval.
 */
public final class RunningProxy implements AutoCloseable {

    private final ProxyRuntime runtime;
    private final Path siteFile;

    private RunningProxy(ProxyRuntime runtime, Path siteFile) {
        this.runtime = runtime;
        this.siteFile = siteFile;
    }

    public static RunningProxy start(Path dir, String yaml) {
        return start(options(SiteFiles.write(dir, yaml), dir.resolve("secrets")));
    }

    /**
     * The runtime as a pod runs it: booting from a mounted config bundle, ordering it by its
     * revision file, and taking pushes that bear the token in {@code tokenFile} (null: pushes off).
     */
    public static RunningProxy start(MountedBundle bundle, Path tokenFile) {
        return start(options(bundle.siteFile(), bundle.secretsDir()).withConfigPush(tokenFile, bundle.revisionFile()));
    }

    /** As {@link #start(MountedBundle, Path)}, with these bounds on admin-port clients (short ones, in tests). */
    public static RunningProxy start(MountedBundle bundle, Path tokenFile, AdminLimits adminLimits) {
        return start(options(bundle.siteFile(), bundle.secretsDir()).withConfigPush(tokenFile, bundle.revisionFile())
                .withAdminLimits(adminLimits));
    }

    /** Loopback, free ports, two workers, and a 100 ms reload poll. */
    public static RuntimeOptions options(Path siteFile, Path secretsDir) {
        return new RuntimeOptions(siteFile, secretsDir, "127.0.0.1", 0, 0, "127.0.0.1", 0,
                2, Duration.ofSeconds(5), Duration.ofMillis(100));
    }

    /**
     * Like {@link #start(Path, String)} with one worker: every client connection is served by the same event loop,
     * so all of them share one upstream pool (there is one per loop), whatever their protocol.
     */
    public static RunningProxy startOnOneEventLoop(Path dir, String yaml) {
        RuntimeOptions o = options(SiteFiles.write(dir, yaml), dir.resolve("secrets"));
        return start(new RuntimeOptions(o.siteFile(), o.secretsDir(), o.bind(), o.httpPort(), o.httpsPort(),
                o.adminBind(), o.adminPort(), 1, o.drainTimeout(), o.reloadInterval()));
    }

    public static RunningProxy start(RuntimeOptions options) {
        return start(options, null);
    }

    /** With backend names resolved by {@code resolver} (null: the runtime's DNS resolver). */
    public static RunningProxy start(RuntimeOptions options,
                                     io.netty.resolver.AddressResolverGroup<? extends java.net.SocketAddress> resolver) {
        try {
            return new RunningProxy(ProxyRuntime.start(options, resolver), options.siteFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A site with one catch-all route to {@code backend}, plus {@code extraSpec} lines under spec. */
    public static String siteFor(TestBackend backend, String extraSpec) {
        return """
                apiVersion: portico.dev/v1alpha1
                kind: ProxySite
                metadata: {name: test, generation: 1}
                spec:
                  hosts: ["*"]
                %s
                  routes:
                    - match: {path: {value: /}}
                      backend: {service: 127.0.0.1, port: %d}
                """.formatted(extraSpec.indent(2).stripTrailing(), backend.port());
    }

    public int httpPort() {
        return runtime.httpPort();
    }

    public int adminPort() {
        return runtime.adminPort();
    }

    public AdminClient admin() {
        return new AdminClient(adminPort());
    }

    public ProxyRuntime runtime() {
        return runtime;
    }

    public Path siteFile() {
        return siteFile;
    }

    public RawHttpClient connect() {
        try {
            return RawHttpClient.connect(httpPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One request on a fresh connection; {@code headers} are raw lines like {@code "X-A: b"}. */
    public RawResponse request(String method, String host, String target, String... headers) {
        try (RawHttpClient client = connect()) {
            StringBuilder raw = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(host).append("\r\n");
            for (String header : headers) {
                raw.append(header).append("\r\n");
            }
            raw.append("Connection: close\r\n\r\n");
            client.send(raw.toString());
            return client.readResponse(method.equals("HEAD"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public RawResponse get(String target, String... headers) {
        return request("GET", "app.example.com", target, headers);
    }

    /**
     * The value of one series of the admin {@code /metrics} (the whole series text, labels included, e.g.
     * {@code portico_upstream_connections_open}), or null when absent.
     */
    public Double metric(String series) {
        try (RawHttpClient admin = RawHttpClient.connect(adminPort())) {
            admin.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE)
                    .matcher(admin.readResponse().bodyText());
            return m.find() ? Double.valueOf(m.group(1)) : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rewrites the site file and applies it now. */
    public void reconfigure(String yaml) {
        SiteFiles.overwrite(siteFile, yaml);
        runtime.checkForChanges();
    }

    @Override
    public void close() {
        runtime.close();
    }
}

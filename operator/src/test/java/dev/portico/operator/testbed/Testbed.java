package dev.portico.operator.testbed;

import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real control plane of {@code tools/kube-testbed/} (etcd, kube-apiserver,
 * kube-controller-manager on loopback), started once per test JVM and stopped when it exits.
 * Tests get an admin client, clients for ServiceAccounts (TokenRequest tokens, as a pod's
 * projected token is) and kubectl.
 */
public final class Testbed {

    static final Path REPO = Path.of(System.getProperty("basedir", ".")).resolve("..").toAbsolutePath().normalize();
    private static final Path SCRIPTS = REPO.resolve("tools/kube-testbed");
    /** A cold machine builds the binaries first: up to a quarter of an hour on two cores. */
    private static final Duration START_TIMEOUT = Duration.ofMinutes(25);

    private static Testbed shared;

    private final Path dir;
    private final Path kubeconfig;
    private final Path bin;
    private final KubernetesClient admin;

    private Testbed(Path dir, Path kubeconfig, Path bin) {
        this.dir = dir;
        this.kubeconfig = kubeconfig;
        this.bin = bin;
        this.admin = new KubernetesClientBuilder().withConfig(adminConfig()).build();
    }

    /** The control plane of this JVM, started on first use. */
    public static synchronized Testbed shared() {
        if (shared == null) {
            Path dir = REPO.resolve("operator/target/kube-testbed");
            run(START_TIMEOUT, List.of("bash", SCRIPTS.resolve("up.sh").toString(), dir.toString()));
            try {
                Path bin = Path.of(Files.readString(dir.resolve("bin-dir"), StandardCharsets.UTF_8).trim());
                shared = new Testbed(dir, dir.resolve("kubeconfig"), bin);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(shared::stop, "kube-testbed-stop"));
        }
        return shared;
    }

    private void stop() {
        admin.close();
        run(Duration.ofSeconds(30), List.of("bash", SCRIPTS.resolve("down.sh").toString(), dir.toString()));
    }

    /** The cluster administrator (system:masters). Shared: do not close it. */
    public KubernetesClient admin() {
        return admin;
    }

    /**
     * A client that authenticates as ServiceAccount {@code namespace/name} with a fresh
     * TokenRequest token, exactly what a pod of that account gets mounted.
     */
    public KubernetesClient serviceAccountClient(String namespace, String name) {
        return serviceAccountClient(namespace, name, new RequestCounter());
    }

    /** As {@link #serviceAccountClient(String, String)}, counting its requests in {@code requests}. */
    public KubernetesClient serviceAccountClient(String namespace, String name, RequestCounter requests) {
        Config base = adminConfig();
        Config config = new ConfigBuilder()
                .withMasterUrl(base.getMasterUrl())
                .withCaCertData(base.getCaCertData())
                .withOauthToken(serviceAccountToken(namespace, name))
                .withNamespace(namespace)
                .withRequestTimeout(base.getRequestTimeout())
                .build();
        return new KubernetesClientBuilder().withConfig(config)
                .withHttpClientBuilderConsumer(http -> http.addOrReplaceInterceptor("portico-request-counter", requests))
                .build();
    }

    /**
     * A kubeconfig file for ServiceAccount {@code namespace/name}, for a process of its own
     * (the operator as a separate JVM): the same fresh token {@link #serviceAccountClient} uses.
     */
    public Path serviceAccountKubeconfig(String namespace, String name, Path file) throws IOException {
        Config base = adminConfig();
        String kubeconfig = """
                apiVersion: v1
                kind: Config
                clusters: [{name: testbed, cluster: {server: "%s", certificate-authority-data: "%s"}}]
                users: [{name: %s, user: {token: "%s"}}]
                contexts: [{name: testbed, context: {cluster: testbed, user: %s, namespace: %s}}]
                current-context: testbed
                """.formatted(base.getMasterUrl(), base.getCaCertData(), name, serviceAccountToken(namespace, name), name,
                namespace);
        Files.writeString(file, kubeconfig, StandardCharsets.UTF_8);
        return file;
    }

    private String serviceAccountToken(String namespace, String name) {
        TokenRequest request = new TokenRequestBuilder()
                .withNewSpec().withExpirationSeconds(3600L).endSpec()
                .build();
        return admin.serviceAccounts().inNamespace(namespace).withName(name).tokenRequest(request)
                .getStatus().getToken();
    }

    private Config adminConfig() {
        try {
            return Config.fromKubeconfig(Files.readString(kubeconfig, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The repository's root, where deploy/ and tools/ are. */
    public static Path repo() {
        return REPO;
    }

    /** Runs kubectl as the administrator from the repository's root. */
    /** helm (tools/helm/build.sh, built once per machine) with the administrator's kubeconfig. */
    public Result helm(String... args) {
        Result build = run(Duration.ofMinutes(30), List.of("bash", repo().resolve("tools/helm/build.sh").toString()), false);
        String helm = build.requireSuccess().stdout().strip();
        List<String> command = new ArrayList<>();
        command.add(helm);
        command.add("--kubeconfig=" + kubeconfig);
        command.addAll(List.of(args));
        return run(Duration.ofMinutes(2), command, false);
    }

    public Result kubectl(String... args) {
        List<String> command = new ArrayList<>();
        command.add(bin.resolve("kubectl").toString());
        command.add("--kubeconfig=" + kubeconfig);
        command.addAll(List.of(args));
        return run(Duration.ofMinutes(2), command, false);
    }

    /** What a command printed and how it ended. */
    public record Result(int exitCode, String stdout, String stderr) {
        public Result requireSuccess() {
            if (exitCode != 0) {
                throw new IllegalStateException("exit " + exitCode + ": " + stderr + stdout);
            }
            return this;
        }
    }

    private static Result run(Duration timeout, List<String> command) {
        return run(timeout, command, true);
    }

    private static Result run(Duration timeout, List<String> command, boolean mustSucceed) {
        try {
            Path out = Files.createTempFile("testbed", ".out");
            Path err = Files.createTempFile("testbed", ".err");
            try {
                Process process = new ProcessBuilder(command).directory(REPO.toFile())
                        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException("timed out after " + timeout + ": " + String.join(" ", command));
                }
                Result result = new Result(process.exitValue(), Files.readString(out), Files.readString(err));
                if (mustSucceed && result.exitCode() != 0) {
                    throw new IllegalStateException(String.join(" ", command) + " failed, exit " + result.exitCode()
                            + ":\n" + result.stderr() + result.stdout());
                }
                return result;
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

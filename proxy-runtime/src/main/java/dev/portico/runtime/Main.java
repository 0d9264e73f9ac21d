package dev.portico.runtime;

import dev.portico.crds.InvalidProxySiteException;
import dev.portico.crds.ProxySiteLoader;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/** {@code java -jar proxy-runtime.jar}: run a site, or validate one. */
public final class Main {

    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private static final String NETTY_JFR = "io.netty.jfr.enabled";

    private Main() {}

    public static void main(String[] args) {
        keepNettyOutOfJfrUnlessAsked();
        disableLeakDetectionUnlessAsked();
        System.exit(run(args));
    }

    /**
     * Netty registers its JFR events when the JDK has JFR, which starts JFR's machinery in every proxy: about
     * 85 JDK classes, event handlers spun with ASM at start-up and compiled by C2 while the proxy starts, for
     * events nobody records. {@code -Dio.netty.jfr.enabled=true} brings them back for a profiling session.
     * Set before any Netty class reads it.
     */
    private static void keepNettyOutOfJfrUnlessAsked() {
        if (System.getProperty(NETTY_JFR) == null) {
            System.setProperty(NETTY_JFR, "false");
        }
    }

    /**
     * Netty's leak detector (on by default) tracks one buffer in 128 and takes a stack trace for each:
     * about 3 % of the event loop's time per HTTP/2 request in our profiles, for a check that belongs in
     * tests. Tests keep it (they do not go through {@code main}); {@code -Dio.netty.leakDetection.level}
     * turns it back on in production.
     */
    private static void disableLeakDetectionUnlessAsked() {
        if (System.getProperty("io.netty.leakDetection.level") == null
                && System.getProperty("io.netty.leakDetectionLevel") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
    }

    static int run(String[] args) {
        CommandLine command;
        try {
            command = CommandLine.parse(Arrays.asList(args));
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.print(CommandLine.USAGE);
            return 2;
        }
        return switch (command.command()) {
            case HELP -> {
                System.out.print(CommandLine.USAGE);
                yield 0;
            }
            case VALIDATE -> validate(command);
            case RUN -> serve(command.options());
        };
    }

    /** Validates every document of the file, as {@code kubectl apply -f} would take them. */
    private static int validate(CommandLine command) {
        Path file = command.validateFile();
        List<ProxySiteLoader.Result> results;
        try {
            results = ProxySiteLoader.parseAll(Files.readString(file));
        } catch (InvalidProxySiteException e) {
            System.out.println(file + ": invalid");
            e.violations().forEach(v -> System.out.println("  " + v));
            return 1;
        } catch (IOException | RuntimeException e) {
            System.out.println(file + ": " + describe(e));
            return 1;
        }
        if (results.isEmpty()) {
            System.out.println(file + ": invalid\n  document: is empty");
            return 1;
        }
        boolean valid = true;
        for (int i = 0; i < results.size(); i++) {
            ProxySiteLoader.Result result = results.get(i);
            String name = results.size() == 1 ? file.toString() : file + " (document " + (i + 1) + ")";
            System.out.println(name + ": " + (result.valid() ? "valid" : "invalid"));
            result.violations().forEach(v -> System.out.println("  " + v));
            valid &= result.valid();
        }
        return valid ? 0 : 1;
    }

    private static int serve(RuntimeOptions options) {
        // SIGTERM (Kubernetes) and SIGINT (a terminal) both drain, then exit 0: a stop we
        // were asked for is not a failure. The handlers go in before the runtime starts: once
        // /readyz answers, a SIGTERM must drain, never kill the JVM with the default 143.
        CountDownLatch stopRequested = new CountDownLatch(1);
        SignalHandler drain = signal -> {
            LOG.info("SIG{} received: draining for at most {}", signal.getName(), options.drainTimeout());
            stopRequested.countDown();
        };
        Signal.handle(new Signal("TERM"), drain);
        Signal.handle(new Signal("INT"), drain);
        ProxyRuntime runtime;
        try {
            runtime = ProxyRuntime.start(options);
        } catch (InvalidProxySiteException e) {
            LOG.error("{} is invalid:\n{}", options.siteFile(), e.getMessage());
            return 1;
        } catch (NoSuchFileException e) {
            LOG.error("no such file: {}", e.getFile());
            return 1;
        } catch (Exception e) {
            LOG.error("cannot start: {}", describe(e));
            return 1;
        }
        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        runtime.shutdown(options.drainTimeout());
        return 0;
    }

    private static String describe(Exception e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}

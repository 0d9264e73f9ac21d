package dev.portico.runtime;

import dev.portico.runtime.admin.AdminServer;
import dev.portico.runtime.admin.ConfigPushService;
import dev.portico.runtime.admin.MetricsServer;
import dev.portico.runtime.config.Bundle;
import dev.portico.runtime.config.ConfigApplier;
import dev.portico.runtime.config.ConfigHolder;
import dev.portico.runtime.config.ConfigReloader;
import dev.portico.runtime.config.SiteBuilder;
import dev.portico.runtime.config.SiteConfig;
import dev.portico.runtime.config.SiteSource;
import dev.portico.runtime.log.AccessLog;
import dev.portico.runtime.metrics.ProxyMetrics;
import dev.portico.runtime.proxy.ProxyServices;
import dev.portico.runtime.server.ProxyServer;
import dev.portico.runtime.server.Transports;
import dev.portico.runtime.tls.ServerTlsContexts;
import dev.portico.runtime.tls.UpstreamTlsContexts;
import dev.portico.runtime.tls.ocsp.OcspStapling;
import dev.portico.runtime.upstream.UpstreamBudget;
import dev.portico.runtime.upstream.UpstreamPool;
import dev.portico.runtime.upstream.UpstreamResolvers;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data plane as one object: loads the site, binds the listeners, reloads on change
 * or push, and drains on shutdown. {@code Main} runs it from the command line; tests run it
 * in-process on free ports.
 */
public final class ProxyRuntime implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyRuntime.class);

    private final RuntimeOptions options;
    private final ConfigHolder config;
    private final ProxyMetrics metrics;
    private final ProxyServices services;
    private final AccessLog accessLog;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ProxyServer server;
    private final ConfigReloader reloader;
    private final ConfigPushService pushes;
    private final OcspStapling stapling;
    private AdminServer admin;
    private MetricsServer metricsServer;
    private InetSocketAddress httpAddress;
    private volatile InetSocketAddress httpsAddress;
    private volatile boolean ready;
    private boolean stopped;
    /** The DNS resolver this runtime made, closed with it; null when the embedder passed one. */
    private final AddressResolverGroup<? extends SocketAddress> ownResolver;
    private final SiteBuilder builder;
    private final Map<EventExecutor, UpstreamPool> pools;

    private ProxyRuntime(RuntimeOptions options, SiteSource source, Bundle booted, SiteBuilder builder,
                         SiteConfig initial, OcspStapling stapling,
                         AddressResolverGroup<? extends SocketAddress> upstreamResolver) {
        this.options = options;
        this.config = new ConfigHolder(initial);
        this.metrics = new ProxyMetrics();
        this.builder = builder;
        this.stapling = stapling;
        metrics.ocspFetches(stapling::fetchesStapled, stapling::fetchesFailed);
        Transports transports = Transports.best();
        if (upstreamResolver == null) {
            upstreamResolver = UpstreamResolvers.dns(transports);
            this.ownResolver = upstreamResolver;
        } else {
            this.ownResolver = null;
        }
        this.boss = transports.newGroup(1);
        this.workers = transports.newGroup(options.workers());
        this.pools = new HashMap<>();
        UpstreamTlsContexts upstreamTls = new UpstreamTlsContexts();
        UpstreamBudget upstreamBudget = new UpstreamBudget();
        for (EventExecutor loop : workers) {
            pools.put(loop, new UpstreamPool((EventLoop) loop, transports.clientChannel(), metrics.upstreamStats(),
                    upstreamBudget, upstreamTls, upstreamResolver));
        }
        metrics.idleUpstreamConnections(() -> pools.values().stream().mapToInt(UpstreamPool::idleConnections).sum());
        this.accessLog = new AccessLog();
        metrics.accessLogDropped(accessLog::dropped);
        this.services = new ProxyServices(config, pools, metrics, accessLog);
        metrics.inFlight(services::inFlight, upstreamBudget::total);
        metrics.endpointHealth(builder.clusters()::ejections, builder.clusters()::ejectedNow);
        this.server = new ProxyServer(transports, boss, workers);
        ConfigApplier applier = new ConfigApplier(config, builder, this::configApplied);
        this.reloader = new ConfigReloader(source, booted, applier, metrics);
        this.pushes = new ConfigPushService(options.adminTokenFile(), applier, metrics);
        publishCertificates(initial);
        LOG.info("transport {}, {} worker event loops", transports.name(), options.workers());
    }

    /**
     * Loads and validates the site, then binds everything.
     *
     * @throws dev.portico.crds.InvalidProxySiteException when the site file is invalid
     * @throws IllegalArgumentException naming the flag when the revision or token file is unusable, or when
     *     pushes would reach a non-loopback admin port without TLS
     */
    public static ProxyRuntime start(RuntimeOptions options) throws IOException, InterruptedException {
        return start(options, null);
    }

    /**
     * As {@link #start(RuntimeOptions)}, with backend addresses found by {@code upstreamResolver}
     * instead of the system's resolver: for embedding the runtime where service names mean
     * something else than DNS names (a test standing in for a cluster's services, say).
     * Endpoint addresses go through it too, as unresolved IP literals, so it may map a testbed's pod IPs.
     *
     * @param upstreamResolver null: Netty's asynchronous DNS resolver ({@link UpstreamResolvers#dns})
     */
    public static ProxyRuntime start(RuntimeOptions options, AddressResolverGroup<? extends SocketAddress> upstreamResolver)
            throws IOException, InterruptedException {
        ConfigPushService.checkTokenFile(options.adminTokenFile());
        switch (AdminExposure.of(options.adminBind(), options.adminTokenFile() != null, options.adminTlsSecret() != null)) {
            case REFUSE -> throw new IllegalArgumentException(AdminExposure.refusal(options.adminBind()));
            case WARN -> LOG.warn(AdminExposure.warning(options.adminBind()));
            case FINE -> { }
        }
        SiteSource source = new SiteSource(options.siteFile(), options.secretsDir(), options.revisionFile());
        Bundle booted = source.snapshot();
        OcspStapling stapling = new OcspStapling(ServerTlsContexts.staplingSupported(), OcspStapling.Timings.DEFAULT,
                Clock.systemUTC());
        SiteBuilder builder = new SiteBuilder(stapling, options.adminTlsSecret());
        SiteConfig initial;
        try {
            initial = builder.build(booted);
        } catch (RuntimeException e) {
            stapling.close();
            throw e;
        }
        ProxyRuntime runtime = new ProxyRuntime(options, source, booted, builder, initial, stapling,
                upstreamResolver);
        try {
            runtime.bind();
        } catch (IOException | InterruptedException | RuntimeException e) {
            runtime.close();
            throw e;
        }
        return runtime;
    }

    private void bind() throws InterruptedException, IOException {
        httpAddress = server.bindHttp(options.bind(), options.httpPort(), services);
        if (config.current().tls() != null) {
            bindHttps();
            LOG.info("TLS by {}, OCSP stapling {}", ServerTlsContexts.provider(),
                    stapling.supported() ? "on" : "off (the provider cannot staple)");
        }
        admin = AdminServer.bind(Transports.best(), boss, options.adminBind(), options.adminPort(), config, metrics,
                () -> ready, pushes, options.adminLimits(),
                options.adminTlsSecret() == null ? null : () -> config.current().adminTls());
        if (options.metricsPort() != RuntimeOptions.METRICS_OFF) {
            metricsServer = MetricsServer.bind(Transports.best(), boss, options.metricsBind(), options.metricsPort(),
                    metrics, options.adminLimits());
        }
        reloader.start(options.reloadInterval());
        ready = true;
        SiteConfig current = config.current();
        LOG.info("serving site '{}' generation {} {} on http {}{} (admin {} {}, config push {})", current.name(),
                current.generation(), describe(current), httpAddress,
                httpsAddress == null ? "" : ", https " + httpsAddress,
                options.adminTlsSecret() == null ? "http" : "https", admin.address(),
                options.adminTokenFile() == null ? "off" : "on");
        if (metricsServer != null) {
            LOG.info("metrics on http {}/metrics", metricsServer.address());
        }
    }

    private synchronized void bindHttps() throws InterruptedException {
        if (httpsAddress == null && !stopped) {
            httpsAddress = server.bindHttps(options.bind(), options.httpsPort(), services);
        }
    }

    private static String describe(SiteConfig config) {
        return config.revision() == SiteConfig.NO_REVISION ? config.hash()
                : "revision " + config.revision() + " " + config.hash();
    }

    /** The expiry gauge follows the certificates serving. */
    private void publishCertificates(SiteConfig serving) {
        Map<String, Instant> notAfter = new TreeMap<>();
        if (serving.tls() != null) {
            serving.tls().entries().forEach(entry -> notAfter.put(entry.secretName(), entry.notAfter()));
        }
        metrics.certificatesServing(notAfter);
    }

    /** A reload or push that adds TLS to a plain site opens the TLS listener. */
    private void configApplied(SiteConfig applied) {
        publishCertificates(applied);
        var departed = builder.clusters().departed();
        if (!departed.isEmpty()) {
            pools.forEach((loop, pool) -> loop.execute(() -> pool.closeIdle(departed)));
        }
        if (applied.tls() == null || httpsAddress != null) {
            return;
        }
        try {
            bindHttps();
            LOG.info("TLS listener open on {}", httpsAddress);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("cannot open the TLS listener on port {}: {}", options.httpsPort(), e.toString());
        }
    }

    public int httpPort() {
        return httpAddress.getPort();
    }

    /** The TLS listener's port, or -1 while the site has no TLS. */
    public int httpsPort() {
        InetSocketAddress address = httpsAddress;
        return address == null ? -1 : address.getPort();
    }

    public int adminPort() {
        return admin.address().getPort();
    }

    /** The metrics listener's port, or -1 without one. */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.address().getPort();
    }

    public boolean ready() {
        return ready;
    }

    public SiteConfig currentConfig() {
        return config.current();
    }

    /** Forces a look at the site files now instead of at the next poll. */
    public void checkForChanges() {
        reloader.check();
    }

    /**
     * Graceful stop: report not-ready, stop accepting, let in-flight exchanges finish for
     * at most {@code drain}, then close everything.
     */
    public synchronized void shutdown(Duration drain) {
        if (stopped) {
            return;
        }
        stopped = true;
        ready = false;
        services.startDraining();
        server.stopAccepting();
        long deadline = System.nanoTime() + drain.toNanos();
        while (services.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (services.inFlight() > 0) {
            LOG.warn("drain time {} is over; closing {} unfinished exchanges", drain, services.inFlight());
        }
        reloader.close();
        pushes.close();
        stapling.close();
        if (admin != null) {
            admin.close();
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        if (ownResolver != null) {
            ownResolver.close();
        }
        accessLog.close();
        metrics.close();
        LOG.info("stopped");
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}

package dev.portico.operator.push;

import dev.portico.crds.bundle.ConfigPush;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings every ready pod of a site to the site's current bundle. Each reconcile calls
 * {@link #converge}: pods not known to serve the bundle get it pushed, pods known to serve it
 * are re-asked now and then (a restarted process or a missed push shows up there), failures
 * back off exponentially. Work runs asynchronously; when an answer comes back the site is
 * woken ({@code wake}) so its next reconcile sees the new state and updates the status.
 *
 * <p>What a pod serves is known only from its own answers, never assumed from a push that
 * was sent: Programmed=True means every ready pod said so.
 */
public final class ConfigPusher {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigPusher.class);
    /** How long a pod's answer is trusted before it is asked again. */
    public static final Duration VERIFY_EVERY = Duration.ofSeconds(60);
    static final Duration FIRST_BACKOFF = Duration.ofMillis(250);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final AdminClient client;
    private final ScheduledExecutorService scheduler;
    private final Consumer<ResourceID> wake;
    private final LongSupplier nanoTime;
    private final PushMetrics metrics;
    private final Map<ResourceID, SiteState> sites = new ConcurrentHashMap<>();
    private volatile long lastSweep;

    /** A site's pods by incarnation, and when a reconcile last looked at them. */
    private static final class SiteState {
        final Map<String, PodState> pods = new ConcurrentHashMap<>();
        volatile long convergedAt;
    }

    public ConfigPusher(AdminClient client, ScheduledExecutorService scheduler, Consumer<ResourceID> wake,
            LongSupplier nanoTime) {
        this(client, scheduler, wake, nanoTime, PushMetrics.unexported());
    }

    /** @param nanoTime the clock of retries and re-checks; push durations are timed by {@link System#nanoTime} */
    public ConfigPusher(AdminClient client, ScheduledExecutorService scheduler, Consumer<ResourceID> wake,
            LongSupplier nanoTime, PushMetrics metrics) {
        this.client = client;
        this.scheduler = scheduler;
        this.wake = wake;
        this.nanoTime = nanoTime;
        this.metrics = metrics;
    }

    /** What one pod process (see {@link ProxyPod#incarnation}) is known to serve. Guarded by itself. */
    private static final class PodState {
        AdminClient.Served served;
        long answeredAt;
        boolean inFlight;
        int failures;
        long notBefore;
        String problem;
    }

    /**
     * Starts what the pods need and reports how far the rollout is. Never blocks on a pod.
     *
     * @param readyPods the site's pods that are ready now
     */
    public Rollout converge(ResourceID site, ConfigPush bundle, String token, List<ProxyPod> readyPods) {
        long now = nanoTime.getAsLong();
        forgetDeletedSites(now);
        SiteState siteState = sites.computeIfAbsent(site, s -> new SiteState());
        siteState.convergedAt = now;
        Map<String, PodState> pods = siteState.pods;
        Set<String> present = readyPods.stream().map(ProxyPod::incarnation).collect(Collectors.toSet());
        pods.keySet().retainAll(present);
        int serving = 0;
        String problem = null;
        for (ProxyPod pod : readyPods) {
            PodState state = pods.computeIfAbsent(pod.incarnation(), k -> new PodState());
            CompletableFuture<AdminClient.Served> call;
            boolean pushed;
            synchronized (state) {
                boolean current = state.served != null && state.served.hash().equals(bundle.hash());
                if (current) {
                    serving++;
                } else if (state.problem != null && problem == null) {
                    problem = pod.name() + ": " + state.problem;
                }
                boolean fresh = now - state.answeredAt < VERIFY_EVERY.toNanos();
                if ((current && fresh) || state.inFlight || now - state.notBefore < 0) {
                    continue;
                }
                state.inFlight = true;
                // Re-ask a pod believed current; push to every other one.
                pushed = !current;
                call = pushed ? client.push(pod, bundle, token) : client.served(pod);
            }
            long sent = System.nanoTime();
            call.whenComplete((served, error) -> {
                if (pushed) {
                    metrics.pushed(outcome(bundle, served, error), System.nanoTime() - sent);
                }
                answered(site, pod, bundle, pushed, state, served, error);
            });
        }
        return new Rollout(serving, readyPods.size(), bundle.hash(), problem);
    }

    private void answered(ResourceID site, ProxyPod pod, ConfigPush bundle, boolean pushed, PodState state,
            AdminClient.Served served, Throwable error) {
        Duration retryIn = null;
        synchronized (state) {
            state.inFlight = false;
            long now = nanoTime.getAsLong();
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause == null && pushed && !served.hash().equals(bundle.hash())) {
                // Refused (409): the pod holds a newer bundle than this operator rendered (its
                // cache is behind), or another one at the same revision. Pushing again at once
                // would only be refused again, so back off until a new render.
                cause = new IllegalStateException("refused revision " + bundle.revision() + ": serves revision "
                        + served.revision() + " " + served.hash());
            }
            if (cause == null) {
                state.served = served;
                state.answeredAt = now;
                state.failures = 0;
                state.problem = served.hash().equals(bundle.hash()) ? null : "serves " + served.hash();
            } else {
                state.failures++;
                retryIn = backoff(state.failures);
                state.notBefore = now + retryIn.toNanos();
                state.problem = String.valueOf(cause.getMessage());
                LOG.warn("config push to pod {} ({}:{}) failed, attempt {}, retrying in {} ms: {}", pod.name(),
                        pod.ip(), pod.adminPort(), state.failures, retryIn.toMillis(), state.problem);
            }
        }
        if (retryIn == null) {
            wake.accept(site);
        } else {
            scheduler.schedule(() -> wake.accept(site), retryIn.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** One of {@link PushMetrics#OUTCOMES}: what became of a push, by the pod's answer. */
    static String outcome(ConfigPush bundle, AdminClient.Served served, Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof AdminClient.PushRefused) {
                return "refused"; // an answer, with an error status
            }
        }
        if (error != null) {
            return "failed";
        }
        return served.hash().equals(bundle.hash()) ? "applied" : "refused";
    }

    static Duration backoff(int failures) {
        long millis = FIRST_BACKOFF.toMillis() << Math.min(failures - 1, 16);
        return Duration.ofMillis(Math.min(millis, MAX_BACKOFF.toMillis()));
    }

    /**
     * Every live site converges at least every {@link #VERIFY_EVERY} (its reconcile is
     * rescheduled so): one not seen for several such periods was deleted, and what was known
     * about its pods goes. A sweep at most once a period keeps this off the hot path.
     */
    private void forgetDeletedSites(long now) {
        long period = VERIFY_EVERY.toNanos();
        if (now - lastSweep < period) {
            return;
        }
        lastSweep = now;
        sites.values().removeIf(state -> now - state.convergedAt > 3 * period);
    }

    /** Sites the pusher holds state for; for tests. */
    int sitesKnown() {
        return sites.size();
    }
}

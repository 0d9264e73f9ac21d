package dev.portico.runtime.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProxyMetricsTest {

    /**
     * Micrometer holds a function counter's object weakly. The runtime passes method references
     * ({@code accessLog::dropped}), objects nothing else keeps: unless the metrics hold them, the
     * first collection leaves the counter reading nothing.
     */
    @Test
    void functionCountersStillCountAfterACollection() {
        ProxyMetrics metrics = new ProxyMetrics();
        AtomicLong dropped = new AtomicLong(7);
        AtomicLong stapled = new AtomicLong(3);
        AtomicLong ejections = new AtomicLong(2);
        metrics.accessLogDropped(dropped::get);
        metrics.ocspFetches(stapled::get, () -> 0);
        metrics.endpointHealth(ejections::get, () -> 0);

        collectGarbage();
        dropped.addAndGet(2);

        assertThat(metrics.scrape())
                .contains("portico_access_log_dropped_total 9.0")
                .contains("portico_tls_ocsp_fetches_total{result=\"stapled\"} 3.0")
                .contains("portico_upstream_endpoint_ejections_total 2.0");
    }

    /** Until an object only weakly reachable is seen to go, so weak references held elsewhere went too. */
    private static void collectGarbage() {
        WeakReference<Object> probe = new WeakReference<>(new Object());
        for (int i = 0; i < 50 && probe.get() != null; i++) {
            System.gc();
        }
        assertThat(probe.get()).as("a collection ran").isNull();
    }
}

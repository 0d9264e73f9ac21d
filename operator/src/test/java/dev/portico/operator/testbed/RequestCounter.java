package dev.portico.operator.testbed;

import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts the requests a client sends, by method and namespace: for tests that hold the
 * operator to sending no write at all while nothing changes (a server-side apply that
 * changes nothing leaves no new resourceVersion behind, so only the request shows it).
 */
public final class RequestCounter implements Interceptor {

    private static final Pattern NAMESPACE = Pattern.compile("/namespaces/([^/]+)/");

    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        Matcher namespace = NAMESPACE.matcher(request.uri().getPath());
        String key = request.method() + " " + (namespace.find() ? namespace.group(1) : "");
        counts.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    /** Requests so far that may change an object of {@code namespace}: every method but GET. */
    public long writes(String namespace) {
        return counts.entrySet().stream()
                .filter(e -> !e.getKey().startsWith("GET ") && e.getKey().endsWith(" " + namespace))
                .mapToLong(e -> e.getValue().sum())
                .sum();
    }
}

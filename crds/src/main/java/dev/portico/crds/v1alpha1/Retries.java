package dev.portico.crds.v1alpha1;

import static dev.portico.crds.v1alpha1.SchemaPatterns.DURATION;
import static dev.portico.crds.v1alpha1.SchemaPatterns.SIZE;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * Retries of a route's requests on another endpoint. Only requests that can be sent again
 * safely are retried: idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) whose body,
 * if any, was held whole within maxBufferedBody; any request is retried on connect-failure,
 * since the backend never saw it. A budget caps retries as a share of requests, so retries
 * never multiply an outage.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "!has(self.retryOn) || self.retryOn.all(c, c in ['connect-failure', 'reset', '502', '503', '504'])",
        message = "retryOn: each condition must be one of connect-failure, reset, 502, 503, 504",
        fieldPath = ".retryOn")
public record Retries(
        @JsonPropertyDescription("Tries in all, the first included: 2 retries once. Default 2.")
        @Default("2")
        @Min(1)
        @Max(5)
        Integer attempts,

        @JsonPropertyDescription("When to retry: connect-failure (the backend was not reached), reset (its "
                + "connection closed before a response head), 502, 503, 504 (its response; the proxy discards it). "
                + "Default [connect-failure, reset, 503].")
        @Size(max = 5)
        List<String> retryOn,

        @JsonPropertyDescription("Time each try may take to its response head, a duration; a try past it "
                + "counts as 504 for retryOn. Absent: timeouts.response for each try.")
        @Pattern(DURATION)
        String perTryTimeout,

        @JsonPropertyDescription("Largest request body held for a retry, a quantity such as 64Ki; a request "
                + "with a larger body is streamed and not retried (but on connect-failure). Default 64Ki.")
        @Default("64Ki")
        @Pattern(SIZE)
        String maxBufferedBody,

        @JsonPropertyDescription("Retries allowed as a share of requests in flight to the backend.")
        RetryBudget budget) {

    /** Envoy's retry budget: retries in flight at most a share of requests, with a floor for quiet times. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RetryBudget(
            @JsonPropertyDescription("Retries in flight at most this percent of the requests in flight. Default 20.")
            @Default("20")
            @Min(0)
            @Max(100)
            Integer percent,

            @JsonPropertyDescription("Retries in flight always allowed, whatever the percent. Default 3.")
            @Default("3")
            @Min(0)
            @Max(1000)
            Integer minConcurrent) {}
}

package dev.portico.crds.units;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as the ProxySite API writes them: Go's {@code time.ParseDuration} syntax
 * restricted to {@code ms}, {@code s}, {@code m} and {@code h}, so a value copied from a
 * Go-based proxy's config means the same here.
 */
public final class Durations {

    private static final String EXAMPLES = "(use e.g. 500ms, 10s, 5m, 24h)";

    // "ms" before "m" so that "500ms" is not read as 500 minutes followed by "s".
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ms|h|m|s)");

    private static final BigDecimal NANOS_PER_SECOND = BigDecimal.valueOf(1_000_000_000L);
    private static final BigInteger MAX_SECONDS = BigInteger.valueOf(Long.MAX_VALUE);

    private Durations() {}

    /**
     * Parses e.g. {@code 500ms}, {@code 10s}, {@code 1m30s}, {@code 1.5h}; {@code 0} alone is
     * accepted as Go does, so that a zero reads as "must be greater than 0" rather than as
     * a syntax error.
     *
     * @throws IllegalArgumentException naming the text and showing valid examples
     */
    public static Duration parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("a duration is required " + EXAMPLES);
        }
        if (text.startsWith("-")) {
            throw new IllegalArgumentException("\"" + text + "\" is negative; a duration must not be");
        }
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        Matcher part = PART.matcher(text);
        BigDecimal nanos = BigDecimal.ZERO;
        for (int end = 0; end < text.length(); end = part.end()) {
            if (!part.region(end, text.length()).lookingAt()) {
                throw new IllegalArgumentException("\"" + text + "\" is not a duration " + EXAMPLES);
            }
            nanos = nanos.add(new BigDecimal(part.group(1)).multiply(nanosPer(part.group(2))));
        }
        // Like Go, anything finer than a nanosecond is dropped.
        BigInteger[] secondsAndNanos = nanos.toBigInteger().divideAndRemainder(NANOS_PER_SECOND.toBigInteger());
        if (secondsAndNanos[0].compareTo(MAX_SECONDS) > 0) {
            throw new IllegalArgumentException("\"" + text + "\" is too long a duration");
        }
        return Duration.ofSeconds(secondsAndNanos[0].longValueExact(), secondsAndNanos[1].longValueExact());
    }

    /**
     * The canonical form that {@link #parse} reads back: hours, minutes and seconds without
     * zero parts ({@code 5m}, {@code 1m30s}, {@code 1.5s}); below one second, milliseconds
     * ({@code 500ms}).
     *
     * @throws IllegalArgumentException for a negative duration, which the API cannot express
     */
    public static String format(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException(duration + " is negative; a duration must not be");
        }
        if (duration.isZero()) {
            return "0s";
        }
        StringBuilder text = new StringBuilder();
        long hours = duration.toHours();
        int minutes = duration.toMinutesPart();
        long seconds = duration.toSecondsPart();
        int nanos = duration.toNanosPart();
        if (hours > 0) {
            text.append(hours).append('h');
        }
        if (minutes > 0) {
            text.append(minutes).append('m');
        }
        if (seconds > 0) {
            text.append(plain(BigDecimal.valueOf(seconds).add(BigDecimal.valueOf(nanos, 9)))).append('s');
        } else if (nanos > 0) {
            text.append(plain(BigDecimal.valueOf(nanos, 6))).append("ms");
        }
        return text.toString();
    }

    private static BigDecimal nanosPer(String unit) {
        return switch (unit) {
            case "ms" -> BigDecimal.valueOf(1_000_000L);
            case "s" -> NANOS_PER_SECOND;
            case "m" -> BigDecimal.valueOf(60_000_000_000L);
            case "h" -> BigDecimal.valueOf(3_600_000_000_000L);
            default -> throw new AssertionError("unit not in PART: " + unit);
        };
    }

    private static String plain(BigDecimal number) {
        return number.stripTrailingZeros().toPlainString();
    }
}

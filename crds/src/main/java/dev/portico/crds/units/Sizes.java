package dev.portico.crds.units;

import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes as Kubernetes quantities ({@code 512Ki}, {@code 25Mi}, {@code 1G},
 * {@code 1e6}, plain bytes), so that the values a user knows from resource limits work here.
 */
public final class Sizes {

    private static final String EXAMPLES = "(use e.g. 512Ki, 25Mi, 1Gi or plain bytes)";

    private static final Pattern QUANTITY =
            Pattern.compile("\\+?(\\d+(?:\\.\\d*)?|\\.\\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)|[eE]([+-]?\\d{1,3}))?");

    private static final Map<String, BigDecimal> MULTIPLIERS = Map.ofEntries(
            Map.entry("Ki", BigDecimal.valueOf(1L << 10)),
            Map.entry("Mi", BigDecimal.valueOf(1L << 20)),
            Map.entry("Gi", BigDecimal.valueOf(1L << 30)),
            Map.entry("Ti", BigDecimal.valueOf(1L << 40)),
            Map.entry("Pi", BigDecimal.valueOf(1L << 50)),
            Map.entry("Ei", BigDecimal.valueOf(1L << 60)),
            Map.entry("k", BigDecimal.TEN.pow(3)),
            Map.entry("M", BigDecimal.TEN.pow(6)),
            Map.entry("G", BigDecimal.TEN.pow(9)),
            Map.entry("T", BigDecimal.TEN.pow(12)),
            Map.entry("P", BigDecimal.TEN.pow(15)),
            Map.entry("E", BigDecimal.TEN.pow(18)));

    private static final BigDecimal MAX = BigDecimal.valueOf(Long.MAX_VALUE);

    private Sizes() {}

    /**
     * Parses a quantity into bytes; a fraction is fine as long as the result is whole bytes
     * ({@code 1.5Gi}, {@code 0.5Ki}).
     *
     * @throws IllegalArgumentException naming the text and showing valid examples
     */
    public static long parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("a size is required " + EXAMPLES);
        }
        if (text.startsWith("-")) {
            throw new IllegalArgumentException("\"" + text + "\" is negative; a size must not be");
        }
        Matcher quantity = QUANTITY.matcher(text);
        if (!quantity.matches()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a size " + EXAMPLES);
        }
        BigDecimal bytes = new BigDecimal(quantity.group(1));
        if (quantity.group(2) != null) {
            bytes = bytes.multiply(MULTIPLIERS.get(quantity.group(2)));
        } else if (quantity.group(3) != null) {
            bytes = bytes.scaleByPowerOfTen(Integer.parseInt(quantity.group(3)));
        }
        if (bytes.compareTo(MAX) > 0) {
            throw new IllegalArgumentException("\"" + text + "\" is too large a size (at most 8Ei - 1 bytes)");
        }
        try {
            return bytes.longValueExact();
        } catch (ArithmeticException fraction) {
            throw new IllegalArgumentException("\"" + text + "\" is not a whole number of bytes " + EXAMPLES);
        }
    }
}

package dev.portico.crds.bundle;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The bundle file {@link BundleFiles#ENDPOINTS_FILE}: for each backend Service the operator
 * resolved, the pod addresses its EndpointSlices list, with their conditions. The runtime
 * balances a route's requests over the endpoints of its backend's entry; a backend without an
 * entry (another namespace, outside the cluster, standalone) is resolved through DNS instead.
 * An entry with no endpoint means "the Service exists and nothing serves it": 503, not DNS.
 *
 * <pre>{"vera-backend:8080": [{"address": "10.244.0.7", "port": 3000, "ready": true,
 *   "serving": true, "terminating": false}, …], …}</pre>
 *
 * <p>The key is the backend as a route names it, {@code service:port} with the Service port;
 * each endpoint carries the port the pod listens on (the Service port's target, resolved by
 * the EndpointSlice controller). The conditions are EndpointSlice's own (discovery.k8s.io/v1):
 * a ready endpoint takes new requests; a terminating one that is still serving finishes what
 * it has and takes new ones only when no endpoint is ready, as kube-proxy does.
 *
 * <p>Rendered sorted, so the same endpoints give the same bytes and the same bundle hash.
 */
public final class BackendEndpoints {

    /** One address a backend's traffic may go to. */
    public record Endpoint(String address, int port, boolean ready, boolean serving, boolean terminating) {

        public Endpoint {
            if (!isIpLiteral(address)) {
                throw new IllegalArgumentException("address: " + address + " is not an IPv4 or IPv6 address");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port: " + port + " is not in 1..65535");
            }
        }

        /** Takes new requests. */
        public boolean routable() {
            return ready && !terminating;
        }
    }

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]{2,45}");
    private static final Comparator<Endpoint> ORDER = Comparator.comparing(Endpoint::address).thenComparingInt(Endpoint::port);

    private final SortedMap<String, List<Endpoint>> backends;

    private BackendEndpoints(SortedMap<String, List<Endpoint>> backends) {
        this.backends = Collections.unmodifiableSortedMap(backends);
    }

    /** No backend resolved: every backend goes through DNS. */
    public static BackendEndpoints none() {
        return new BackendEndpoints(new TreeMap<>());
    }

    /** {@code service:port}, the key of a backend; the service name in lower case, as DNS compares it. */
    public static String key(String service, int port) {
        return service.toLowerCase(Locale.ROOT) + ":" + port;
    }

    /** Backend key ({@link #key}) to its endpoints, in any order. */
    public static BackendEndpoints of(Map<String, ? extends List<Endpoint>> backends) {
        SortedMap<String, List<Endpoint>> sorted = new TreeMap<>();
        backends.forEach((key, endpoints) -> {
            checkKey(key);
            List<Endpoint> list = new ArrayList<>(endpoints);
            list.sort(ORDER);
            sorted.put(key, List.copyOf(list));
        });
        return new BackendEndpoints(sorted);
    }

    /** The endpoints of {@code service:port}, or null when the operator did not resolve that backend. */
    public List<Endpoint> get(String service, int port) {
        return backends.get(key(service, port));
    }

    public SortedMap<String, List<Endpoint>> backends() {
        return backends;
    }

    public boolean isEmpty() {
        return backends.isEmpty();
    }

    /** The file's content: deterministic for equal endpoints. */
    public String render() {
        ObjectNode root = JSON.createObjectNode();
        backends.forEach((key, endpoints) -> {
            ArrayNode list = root.putArray(key);
            for (Endpoint endpoint : endpoints) {
                list.addObject()
                        .put("address", endpoint.address())
                        .put("port", endpoint.port())
                        .put("ready", endpoint.ready())
                        .put("serving", endpoint.serving())
                        .put("terminating", endpoint.terminating());
            }
        });
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads the file.
     *
     * @throws IllegalArgumentException naming the entry that is wrong
     *                                  ({@code backend-endpoints.json: vera:8080[1].port: …})
     */
    public static BackendEndpoints parse(String file) {
        String name = BundleFiles.ENDPOINTS_FILE;
        JsonNode root;
        try {
            root = JSON.readTree(file);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(name + ": not JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (root == null || root.isMissingNode()) {
            return none();
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException(name + ": must be an object of service:port to endpoints");
        }
        SortedMap<String, List<Endpoint>> backends = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String key = entry.getKey();
            try {
                checkKey(key);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": " + e.getMessage());
            }
            if (!entry.getValue().isArray()) {
                throw new IllegalArgumentException(name + ": " + key + ": must be a list of endpoints");
            }
            List<Endpoint> endpoints = new ArrayList<>();
            int index = 0;
            for (JsonNode node : entry.getValue()) {
                String where = name + ": " + key + "[" + index++ + "]";
                endpoints.add(endpoint(node, where));
            }
            endpoints.sort(ORDER);
            backends.put(key, List.copyOf(endpoints));
        }
        return new BackendEndpoints(backends);
    }

    private static Endpoint endpoint(JsonNode node, String where) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + ": must be an object");
        }
        JsonNode address = node.get("address");
        if (address == null || !address.isTextual()) {
            throw new IllegalArgumentException(where + ".address: is required");
        }
        JsonNode port = node.get("port");
        if (port == null || !port.isInt()) {
            throw new IllegalArgumentException(where + ".port: must be an integer");
        }
        boolean ready = flag(node, "ready", where);
        boolean serving = flag(node, "serving", where);
        boolean terminating = flag(node, "terminating", where);
        try {
            return new Endpoint(address.textValue(), port.intValue(), ready, serving, terminating);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + "." + e.getMessage());
        }
    }

    private static boolean flag(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || !value.isBoolean()) {
            throw new IllegalArgumentException(where + "." + field + ": must be true or false");
        }
        return value.booleanValue();
    }

    private static void checkKey(String key) {
        int colon = key.lastIndexOf(':');
        boolean valid = colon > 0 && key.substring(0, colon).equals(key.substring(0, colon).toLowerCase(Locale.ROOT));
        if (valid) {
            try {
                int port = Integer.parseInt(key.substring(colon + 1));
                valid = port >= 1 && port <= 65535;
            } catch (NumberFormatException e) {
                valid = false;
            }
        }
        if (!valid) {
            throw new IllegalArgumentException(key + ": not a backend key (service:port, service in lower case)");
        }
    }

    /** An IP address written as one, never a name: endpoints never go through DNS. */
    static boolean isIpLiteral(String address) {
        if (address == null) {
            return false;
        }
        if (IPV4.matcher(address).matches()) {
            return true;
        }
        if (!address.contains(":") || !IPV6.matcher(address).matches()) {
            return false;
        }
        try {
            return java.net.InetAddress.getByName(address) instanceof java.net.Inet6Address;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof BackendEndpoints that && backends.equals(that.backends);
    }

    @Override
    public int hashCode() {
        return backends.hashCode();
    }

    @Override
    public String toString() {
        return render().strip();
    }
}

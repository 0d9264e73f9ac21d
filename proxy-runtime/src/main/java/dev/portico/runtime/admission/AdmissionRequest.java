package dev.portico.runtime.admission;

import dev.portico.runtime.forwarding.ClientAddressResolver;
import dev.portico.runtime.policy.InFlightLimiter;
import dev.portico.runtime.routing.CompiledRoute;
import dev.portico.runtime.routing.RequestHeaderLookup;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetAddress;

/**
 * A request as admission sees it: its head and connection, and what the stages found so far (the target, the
 * client, the route). The exchange is its own admission request (it extends this class), so admitting a request
 * allocates nothing beyond what the stages find; tests build one directly.
 */
public class AdmissionRequest implements RequestHeaderLookup {

    private final HttpRequest head;
    private final InetAddress peer;
    private final boolean tls;
    private final boolean multiplexed;
    private final InFlightLimiter inFlight;

    private RequestTarget target;
    private String host;
    private ClientAddressResolver.Resolution resolution;
    private InetAddress client;
    private InetAddress counted;
    private CompiledRoute route;
    /** The index of the stage whose decision admission returned last: where a suspended admission resumes. */
    private int decidedBy;

    /**
     * @param peer        the TCP peer, or the client a PROXY protocol header named
     * @param multiplexed an HTTP/2 stream rather than an HTTP/1.x connection
     * @param inFlight    counts limits.maxRequestsInFlightPerClient, across event loops
     */
    public AdmissionRequest(HttpRequest head, InetAddress peer, boolean tls, boolean multiplexed,
                            InFlightLimiter inFlight) {
        this.head = head;
        this.peer = peer;
        this.tls = tls;
        this.multiplexed = multiplexed;
        this.inFlight = inFlight;
        this.client = peer;
    }

    public final HttpRequest head() {
        return head;
    }

    public final InetAddress peer() {
        return peer;
    }

    /** Whether the request came over TLS. */
    public final boolean tls() {
        return tls;
    }

    /** Whether the request is an HTTP/2 stream rather than one of an HTTP/1.x connection. */
    public final boolean multiplexed() {
        return multiplexed;
    }

    final InFlightLimiter inFlight() {
        return inFlight;
    }

    /** The parsed target, once {@link TargetStage} has run; null before, or when it was malformed. */
    public final RequestTarget target() {
        return target;
    }

    /** The target's host, normalised as routes match it. */
    public final String host() {
        return host;
    }

    final void target(RequestTarget target, String host) {
        this.target = target;
        this.host = host;
    }

    /** How the client address was found, once {@link ClientStage} has run. */
    public final ClientAddressResolver.Resolution resolution() {
        return resolution;
    }

    /** The client address: the peer until {@link ClientStage} resolved it. */
    public final InetAddress client() {
        return client;
    }

    final void resolution(ClientAddressResolver.Resolution resolution) {
        this.resolution = resolution;
        this.client = resolution.client();
    }

    /** The peer counted against limits.maxRequestsInFlightPerClient, which must be released once; or null. */
    public final InetAddress counted() {
        return counted;
    }

    final void counted(InetAddress peer) {
        this.counted = peer;
    }

    /** The matched route, once {@link RouteStage} has run. */
    public final CompiledRoute route() {
        return route;
    }

    final void route(CompiledRoute route) {
        this.route = route;
    }

    final int decidedBy() {
        return decidedBy;
    }

    final void decidedBy(int stage) {
        this.decidedBy = stage;
    }

    /** Route header conditions: whether some value of header {@code name} equals {@code value}. */
    @Override
    public final boolean hasValue(String name, String value) {
        return head.headers().getAll(name).contains(value);
    }
}

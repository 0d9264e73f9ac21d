package dev.portico.runtime.auth;

import dev.portico.runtime.routing.RouteAction.UpstreamTarget;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.time.Duration;
import java.util.List;

/**
 * {@code auth.forward} of a route, compiled: where the auth service is, the endpoint's path, which headers of its 2xx
 * answer go upstream, and how long it may take (connect included).
 *
 * @param target      the auth service, a key of the upstream pool like a backend's
 * @param uri         path and query of the endpoint
 * @param copyHeaders names copied from a 2xx answer onto the upstream request, and removed from the client's
 */
public record ForwardAuthPolicy(UpstreamTarget target, String uri, List<AsciiString> copyHeaders, Duration timeout)
        implements RouteAuth {

    public ForwardAuthPolicy {
        copyHeaders = List.copyOf(copyHeaders);
    }

    /** Removes the auth outputs from the client's request, so that only the auth service can set them. */
    public void stripOutputs(HttpHeaders clientHeaders) {
        for (AsciiString name : copyHeaders) {
            clientHeaders.remove(name);
        }
    }

    /** The configured headers of the auth service's approval; null when it carried none. */
    public HttpHeaders granted(HttpHeaders answer) {
        HttpHeaders granted = null;
        for (AsciiString name : copyHeaders) {
            List<String> values = answer.getAll(name);
            if (!values.isEmpty()) {
                if (granted == null) {
                    granted = new DefaultHttpHeaders();
                }
                granted.add(name, values);
            }
        }
        return granted;
    }
}

package dev.portico.operator.e2e;

import dev.portico.runtime.testing.TestBackend;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Chatalot's "TLS and Reverse Proxy" guide against deploy/examples/chatalot.yaml: the nginx
 * block's redirect, TLS 1.2/1.3 with HTTP/2, the forwarded headers, the /ws WebSocket and
 * the 110M upload limit, and "Verifying Your Setup" (curl -I, /api/health, wscat /ws).
 */
class ChatalotEndToEndTest extends SeedGuideEndToEnd {

    private static final String HOST = "chat.example.com";
    private TestBackend chatalot;
    private long uploadLimit = 110L << 20;

    @Override
    String namespace() {
        return "chatalot";
    }

    @Override
    String example() {
        return "chatalot.yaml";
    }

    @Override
    Map<String, String> hosts() {
        return Map.of("chatalot", HOST);
    }

    @Override
    Map<String, String> certificates() {
        return Map.of("chatalot-tls", HOST);
    }

    @Override
    void startBackends() {
        // proxy_pass http://127.0.0.1:8080: here the Service chatalot:8080.
        chatalot = backend("chatalot");
        cluster.services.put("chatalot", 8080, chatalot);
    }

    @Override
    void verifyTheGuide(String site, GuideChecks checks) throws IOException {
        checks.redirectsPlainHttpToHttps();
        checks.speaksTls(List.of("TLSv1.2", "TLSv1.3"), List.of("TLSv1.1"));
        checks.offersHttp2();
        // curl https://chat.example.com/api/health, with Host, X-Real-IP, X-Forwarded-For/-Proto.
        checks.forwardsWithTheProxyHeaders("/api/health", chatalot);
        // wscat -c wss://chat.example.com/ws: the path goes upstream as /ws.
        checks.carriesWebSockets("/ws", chatalot);
        // client_max_body_size 110M: 2 MiB (over nginx's 1 MiB default) passes, a byte over the limit does not.
        checks.acceptsUploadsOf(2 << 20, chatalot);
        checks.invitesUploadsOf(uploadLimit);
        checks.refusesUploadsOf(uploadLimit + 1);
    }

    @Override
    String changeARoute() {
        // MAX_FILE_SIZE_MB raised: the body limit follows.
        cluster.edit(namespace(), "chatalot", yaml -> yaml.replace("maxRequestBodySize: 110Mi", "maxRequestBodySize: 200Mi"));
        uploadLimit = 200L << 20;
        return "chatalot";
    }

    @Override
    HeldStream holdAStream(GuideChecks checks) throws IOException {
        // The guide's point about proxy_read_timeout 86400s: the chat WebSocket stays up.
        return heldWebSocket(checks, HOST, "/ws");
    }
}

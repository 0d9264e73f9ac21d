package dev.portico.crds.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.crds.bundle.BackendEndpoints.Endpoint;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BackendEndpointsTest {

    private static final Endpoint A = new Endpoint("10.244.0.7", 3000, true, true, false);
    private static final Endpoint B = new Endpoint("10.244.0.5", 3000, false, true, true);
    private static final Endpoint V6 = new Endpoint("fd00::5", 8080, true, true, false);

    @Test
    void rendersSortedSoEqualEndpointsHashTheSame() {
        String one = BackendEndpoints.of(Map.of("vera:80", List.of(A, B), "api:8080", List.of(V6))).render();
        Map<String, List<Endpoint>> reversed = new TreeMap<>(java.util.Comparator.reverseOrder());
        reversed.put("vera:80", List.of(B, A));
        reversed.put("api:8080", List.of(V6));
        assertThat(BackendEndpoints.of(reversed).render()).isEqualTo(one);
        assertThat(one).startsWith("{\"api:8080\":").contains("\"10.244.0.5\"").endsWith("\n");
        assertThat(one.indexOf("10.244.0.5")).isLessThan(one.indexOf("10.244.0.7"));
    }

    @Test
    void parsesWhatItRenders() {
        BackendEndpoints endpoints = BackendEndpoints.of(Map.of("vera:80", List.of(A, B), "empty:81", List.of()));
        BackendEndpoints back = BackendEndpoints.parse(endpoints.render());
        assertThat(back).isEqualTo(endpoints);
        assertThat(back.get("VERA", 80)).containsExactly(B, A);
        assertThat(back.get("empty", 81)).isEmpty();
        assertThat(back.get("other", 80)).isNull();
        assertThat(BackendEndpoints.parse("{}").isEmpty()).isTrue();
    }

    @Test
    void onlyReadyAndNotTerminatingTakesNewRequests() {
        assertThat(A.routable()).isTrue();
        assertThat(B.routable()).isFalse();
        assertThat(new Endpoint("10.0.0.1", 1, true, true, true).routable()).isFalse();
    }

    @Test
    void refusesWhatIsNotAnEndpointNamingTheEntry() {
        assertThatThrownBy(() -> BackendEndpoints.parse("[]"))
                .hasMessage("backend-endpoints.json: must be an object of service:port to endpoints");
        assertThatThrownBy(() -> BackendEndpoints.parse("{\"vera\":[]}"))
                .hasMessageContaining("vera: not a backend key");
        assertThatThrownBy(() -> BackendEndpoints.parse("{\"Vera:80\":[]}"))
                .hasMessageContaining("Vera:80: not a backend key");
        assertThatThrownBy(() -> BackendEndpoints.parse("{\"vera:0\":[]}"))
                .hasMessageContaining("vera:0: not a backend key");
        assertThatThrownBy(() -> BackendEndpoints.parse(
                "{\"vera:80\":[{\"address\":\"vera.example.com\",\"port\":80,\"ready\":true,\"serving\":true,\"terminating\":false}]}"))
                .hasMessage("backend-endpoints.json: vera:80[0].address: vera.example.com is not an IPv4 or IPv6 address");
        assertThatThrownBy(() -> BackendEndpoints.parse(
                "{\"vera:80\":[{\"address\":\"10.0.0.1\",\"port\":70000,\"ready\":true,\"serving\":true,\"terminating\":false}]}"))
                .hasMessage("backend-endpoints.json: vera:80[0].port: 70000 is not in 1..65535");
        assertThatThrownBy(() -> BackendEndpoints.parse(
                "{\"vera:80\":[{\"address\":\"10.0.0.1\",\"port\":80,\"serving\":true,\"terminating\":false}]}"))
                .hasMessage("backend-endpoints.json: vera:80[0].ready: must be true or false");
        assertThatThrownBy(() -> BackendEndpoints.parse("{\"vera:80\":[{}]}"))
                .hasMessage("backend-endpoints.json: vera:80[0].address: is required");
        assertThatThrownBy(() -> BackendEndpoints.parse("{"))
                .hasMessageStartingWith("backend-endpoints.json: not JSON");
    }

    @Test
    void aPushCarriesTheFileAndRefusesABadOne() {
        String good = BackendEndpoints.of(Map.of("vera:80", List.of(A))).render();
        ConfigPush push = ConfigPush.of(3, Map.of(BundleFiles.SITE_FILE, "x", BundleFiles.ENDPOINTS_FILE, good));
        assertThat(ConfigPush.fromJson(push.toJson()).files()).containsEntry(BundleFiles.ENDPOINTS_FILE, good);
        ConfigPush bad = ConfigPush.of(3, Map.of(BundleFiles.SITE_FILE, "x", BundleFiles.ENDPOINTS_FILE, "{\"vera\":[]}"));
        assertThatThrownBy(() -> ConfigPush.fromJson(bad.toJson()))
                .hasMessageStartingWith("files.backend-endpoints.json: vera: not a backend key");
    }
}

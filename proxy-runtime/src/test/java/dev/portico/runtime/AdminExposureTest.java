package dev.portico.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Where the admin port may speak plain HTTP: everywhere on loopback, never with pushes elsewhere. */
class AdminExposureTest {

    @Test
    void loopbackIsFineWithOrWithoutPushes() {
        assertThat(AdminExposure.of("127.0.0.1", true, false)).isEqualTo(AdminExposure.FINE);
        assertThat(AdminExposure.of("127.1.2.3", true, false)).isEqualTo(AdminExposure.FINE);
        assertThat(AdminExposure.of("::1", true, false)).isEqualTo(AdminExposure.FINE);
        assertThat(AdminExposure.of("localhost", true, false)).isEqualTo(AdminExposure.FINE);
    }

    @Test
    void elsewherePushesNeedTlsAndReadOnlyEndpointsAreWarnedAbout() {
        assertThat(AdminExposure.of("0.0.0.0", true, false)).isEqualTo(AdminExposure.REFUSE);
        assertThat(AdminExposure.of("10.1.2.3", true, false)).isEqualTo(AdminExposure.REFUSE);
        assertThat(AdminExposure.of("0.0.0.0", false, false)).isEqualTo(AdminExposure.WARN);
        assertThat(AdminExposure.of("0.0.0.0", true, true)).isEqualTo(AdminExposure.FINE);
    }
}

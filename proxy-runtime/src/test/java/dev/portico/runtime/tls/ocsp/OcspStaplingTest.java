package dev.portico.runtime.tls.ocsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portico.runtime.testing.FreePorts;
import dev.portico.runtime.tls.TestCertificates;
import dev.portico.runtime.tls.TestCertificates.Issued;
import dev.portico.runtime.tls.TestOcspResponder;
import dev.portico.runtime.tls.TestOcspResponder.Answer;
import dev.portico.runtime.tls.TestOcspResponder.Signing;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The background side of stapling against a real responder on loopback: first fetch,
 * refresh before expiry, the last good response kept through failures until it expires,
 * backoff and recovery, stop, and the bounds on a misbehaving responder. Timings are
 * shortened so a refresh cycle takes about a second.
 */
@Timeout(60)
class OcspStaplingTest {

    static final OcspStapling.Timings FAST = new OcspStapling.Timings(Duration.ofSeconds(2), Duration.ofSeconds(2),
            Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(400), Duration.ofSeconds(4));

    static TestCertificates.Ca ca;
    TestOcspResponder responder;
    OcspStapling stapling;
    ListAppender<ILoggingEvent> log;

    @BeforeAll
    static void certificateAuthority() {
        ca = TestCertificates.newCa("Stapling CA");
    }

    @BeforeEach
    void start() {
        responder = TestOcspResponder.start(ca);
        stapling = new OcspStapling(true, FAST, Clock.systemUTC());
        log = new ListAppender<>();
        log.start();
        ((Logger) LoggerFactory.getLogger(OcspStapling.class)).addAppender(log);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger(OcspStapling.class)).detachAppender(log);
        stapling.close();
        responder.close();
    }

    private Issued leafAnsweredBy(String url) {
        return ca.issue(TestCertificates.leaf("site").sans("localhost").ocspResponder(url));
    }

    private OcspStaple started(Issued issued) {
        OcspStaple staple = stapling.stapleFor("site-tls", issued.chain());
        stapling.start(staple);
        return staple;
    }

    private boolean logged(Level level, String text) {
        return log.list.stream().anyMatch(e -> e.getLevel() == level && e.getFormattedMessage().contains(text));
    }

    @Test
    void theFirstResponseIsFetchedInTheBackgroundAndRefreshedBeforeItExpires() {
        responder.signing(Signing.byCa(ca, Duration.ofSeconds(4)));
        Issued issued = leafAnsweredBy(responder.url());

        OcspStaple staple = started(issued);

        await().atMost(Duration.ofSeconds(10)).until(() -> staple.response() != null);
        byte[] first = staple.response();
        assertThat(TestOcspResponder.parse(first).getResponses()[0].getCertID().getSerialNumber())
                .isEqualTo(issued.leaf().getSerialNumber());
        // Refreshed at the middle of the 4 s validity, long before it runs out.
        await().atMost(Duration.ofSeconds(10)).until(() -> staple.response() != first);
        assertThat(staple.response()).isNotNull();
        assertThat(responder.requestedSerials()).hasSizeGreaterThanOrEqualTo(2)
                .containsOnly(issued.leaf().getSerialNumber());
        assertThat(stapling.fetchesStapled()).isGreaterThanOrEqualTo(2);
        assertThat(stapling.fetchesFailed()).isZero();
    }

    @Test
    void aFailingResponderLeavesTheLastGoodResponseStapledUntilItExpiresThenRecovers() {
        responder.signing(Signing.byCa(ca, Duration.ofSeconds(8)));
        OcspStaple staple = started(leafAnsweredBy(responder.url()));
        await().atMost(Duration.ofSeconds(10)).until(() -> staple.response() != null);
        byte[] good = staple.response();
        Instant expiry = staple.expiresAt();

        responder.answer(Answer.GARBAGE);

        // The refresh at mid-validity fails (about 3 s in) and is retried with backoff...
        await().atMost(Duration.ofSeconds(10)).until(() -> stapling.fetchesFailed() >= 2);
        assertThat(Instant.now()).isBefore(expiry);
        assertThat(staple.response()).isSameAs(good);
        assertThat(logged(Level.ERROR, "cannot be stapled: not an OCSP response")).isTrue();
        assertThat(logged(Level.ERROR, "the previous response is stapled until")).isTrue();
        // ...and once it expires, handshakes go without a staple.
        await().atMost(Duration.ofSeconds(15)).until(() -> staple.response() == null);
        assertThat(Instant.now()).isAfterOrEqualTo(expiry);

        responder.answer(Answer.GOOD);
        await().atMost(Duration.ofSeconds(10)).until(() -> staple.response() != null);
    }

    @Test
    void aRevokedAnswerReplacesTheGoodOneAndIsLoggedAsAnError() {
        responder.signing(Signing.byCa(ca, Duration.ofSeconds(4)));
        OcspStaple staple = started(leafAnsweredBy(responder.url()));
        await().atMost(Duration.ofSeconds(10)).until(() -> staple.response() != null);
        assertThat(statusOf(staple)).as("GOOD, which Bouncy Castle represents as null").isNull();

        responder.answer(Answer.REVOKED);

        // Stapled as soon as it comes: keeping the older "good" answer would hide the revocation.
        await().atMost(Duration.ofSeconds(10)).until(() -> statusOf(staple) instanceof RevokedStatus);
        assertThat(logged(Level.ERROR, "says the certificate is REVOKED")).isTrue();
    }

    /** The status in the response stapled now (which must be there: answers outlive their refresh). */
    private static CertificateStatus statusOf(OcspStaple staple) {
        byte[] response = staple.response();
        assertThat(response).as("a current staple").isNotNull();
        return TestOcspResponder.parse(response).getResponses()[0].getCertStatus();
    }

    @Test
    void anUnreachableResponderMeansNoStapleAndAWarning() {
        OcspStaple staple = started(leafAnsweredBy("http://127.0.0.1:" + FreePorts.next() + "/ocsp"));

        await().atMost(Duration.ofSeconds(10)).until(() -> stapling.fetchesFailed() >= 2);
        assertThat(staple.response()).isNull();
        assertThat(logged(Level.WARN, "cannot fetch the OCSP response")).isTrue();
        assertThat(logged(Level.WARN, "handshakes go without a staple")).isTrue();
    }

    @Test
    void anOversizedOrHangingAnswerIsGivenUpOn() {
        responder.answer(Answer.HUGE);
        OcspStaple staple = started(leafAnsweredBy(responder.url()));

        await().atMost(Duration.ofSeconds(10)).until(() -> logged(Level.WARN, "larger than 65536 bytes"));
        assertThat(staple.response()).isNull();

        responder.answer(Answer.HANG);
        await().atMost(Duration.ofSeconds(15)).until(() -> logged(Level.WARN, "no complete answer within 2000 ms"));
        assertThat(staple.response()).isNull();
    }

    @Test
    void aStoppedStapleIsNoLongerRefreshed() {
        responder.signing(Signing.byCa(ca, Duration.ofSeconds(2)));
        OcspStaple staple = started(leafAnsweredBy(responder.url()));
        await().atMost(Duration.ofSeconds(10)).until(() -> responder.requestedSerials().size() >= 2);

        stapling.stop(staple);
        await().atMost(Duration.ofSeconds(5)).until(stapling::idle);
        int asked = responder.requestedSerials().size();

        // Refreshes came about every half second; three seconds without one means they stopped.
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .until(() -> responder.requestedSerials().size() == asked);
    }

    @Test
    void aCertificateWithoutResponderIsNeverFetchedAndSaysSoOnce() {
        Issued plain = ca.issue(TestCertificates.leaf("plain").sans("localhost"));

        OcspStaple staple = started(plain);

        assertThat(staple.enabled()).isFalse();
        assertThat(staple.response()).isNull();
        assertThat(stapling.idle()).isTrue();
        assertThat(log.list).filteredOn(e -> e.getFormattedMessage().contains("no OCSP stapling"))
                .singleElement()
                .satisfies(e -> assertThat(e.getLevel()).isEqualTo(Level.INFO))
                .satisfies(e -> assertThat(e.getFormattedMessage()).contains("secret site-tls",
                        "no Authority Information Access"));
    }

    @Test
    void aProviderThatCannotStapleFetchesNothing() {
        try (OcspStapling unsupported = new OcspStapling(false, FAST, Clock.systemUTC())) {
            OcspStaple staple = unsupported.stapleFor("site-tls", leafAnsweredBy(responder.url()).chain());
            unsupported.start(staple);

            assertThat(staple.enabled()).isFalse();
            assertThat(unsupported.idle()).isTrue();
        }
        assertThat(responder.requestedSerials()).isEmpty();
    }

    @Test
    void refreshComesAtHalfTheValidityAndRetriesBackOff() {
        OcspStapling timings = new OcspStapling(true, OcspStapling.Timings.DEFAULT, Clock.systemUTC());
        Instant now = Instant.parse("2026-01-01T12:00:00Z");

        // A typical public CA answer: valid for 7 days from an hour ago.
        Instant thisUpdate = now.minus(Duration.ofHours(1));
        assertThat(timings.refreshDelay(thisUpdate, thisUpdate.plus(Duration.ofDays(7)), now))
                .isEqualTo(Duration.ofHours(83));
        // Already past its middle (a cached answer): halfway to its expiry.
        assertThat(timings.refreshDelay(now.minus(Duration.ofDays(5)), now.plus(Duration.ofDays(2)), now))
                .isEqualTo(Duration.ofDays(1));
        // Never sooner than the minimum.
        assertThat(timings.refreshDelay(now, now.plusSeconds(10), now)).isEqualTo(Duration.ofSeconds(30));

        assertThat(timings.retryDelay(1)).isEqualTo(Duration.ofSeconds(15));
        assertThat(timings.retryDelay(2)).isEqualTo(Duration.ofSeconds(30));
        assertThat(timings.retryDelay(4)).isEqualTo(Duration.ofMinutes(2));
        assertThat(timings.retryDelay(7)).isEqualTo(Duration.ofMinutes(10));
        assertThat(timings.retryDelay(1_000)).isEqualTo(Duration.ofMinutes(10));
        timings.close();
    }
}

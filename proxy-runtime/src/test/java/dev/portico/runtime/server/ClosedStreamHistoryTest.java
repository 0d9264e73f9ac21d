package dev.portico.runtime.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The ring of recent client stream ids behind ClosedStreamGuard (its wire behaviour: Http2StreamStatesTest). */
class ClosedStreamHistoryTest {

    private static final int WINDOW = ClosedStreamHistory.WINDOW;

    private final ClosedStreamHistory history = new ClosedStreamHistory();

    @Test
    void remembersOpenedSkippedAndCleanlyEndedIds() {
        history.headersFor(1);
        history.headersFor(7);
        history.endedCleanly(1);

        assertThat(history.highest()).isEqualTo(7);
        assertThat(history.wasOpened(1)).isTrue();
        assertThat(history.hasEndedCleanly(1)).isTrue();
        assertThat(history.wasOpened(3)).isFalse();
        assertThat(history.wasOpened(5)).isFalse();
        assertThat(history.wasOpened(7)).isTrue();
        assertThat(history.hasEndedCleanly(7)).isFalse();
    }

    @Test
    void remembersOnlyClientIdsAtOrBelowTheHighestWithinTheWindow() {
        int highest = 1 + 2 * (WINDOW + 10);
        history.headersFor(highest);

        assertThat(history.remembers(highest)).isTrue();
        assertThat(history.remembers(highest + 2)).isFalse();
        assertThat(history.remembers(highest - 1)).as("even: a server id").isFalse();
        assertThat(history.remembers(highest - 2 * (WINDOW - 1))).isTrue();
        assertThat(history.remembers(highest - 2 * WINDOW)).isFalse();
    }

    @Test
    void aSlotReusedByANewerIdForgetsWhatTheOlderIdDid() {
        history.headersFor(1);
        history.endedCleanly(1);
        int sameSlot = 1 + 2 * WINDOW;

        history.headersFor(sameSlot + 2);  // skips sameSlot

        assertThat(history.remembers(1)).isFalse();
        assertThat(history.remembers(sameSlot)).isTrue();
        assertThat(history.wasOpened(sameSlot)).isFalse();
        assertThat(history.hasEndedCleanly(sameSlot)).isFalse();
    }

    @Test
    void aJumpPastTheWholeWindowClearsIt() {
        for (int id = 1; id < 2 * WINDOW; id += 2) {
            history.headersFor(id);
            history.endedCleanly(id);
        }
        int far = 1_000_001;

        history.headersFor(far);

        for (int id = far - 2; id > far - 2 * WINDOW; id -= 2) {
            assertThat(history.wasOpened(id)).as("id %d", id).isFalse();
            assertThat(history.hasEndedCleanly(id)).as("id %d", id).isFalse();
        }
        assertThat(history.wasOpened(far)).isTrue();
    }

    @Test
    void cleanEndsOutsideTheWindowAreNotRecorded() {
        history.headersFor(1 + 2 * WINDOW);

        history.endedCleanly(1);

        assertThat(history.hasEndedCleanly(1 + 2 * WINDOW)).isFalse();
    }
}

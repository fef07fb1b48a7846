package dev.odpo.pairs;

import static dev.odpo.pairs.Events.rating;
import static dev.odpo.pairs.Events.sample;
import static dev.odpo.pairs.Events.score;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class StoreSerdesTest {

    private static <T> T roundTrip(Serde<T> serde, T value) {
        return serde.deserializer().deserialize("changelog", serde.serializer().serialize("changelog", value));
    }

    @Test
    void groupStateSurvivesTheChangelog() {
        GroupState g = new GroupState("g", "g-p", 1234);
        g.add(sample("g", 0, 3, "a"));
        g.add(sample("g", 1, 3, "b"));
        g.add(score("g", 1, 3, 0.5));
        g.add(score("g", 2, 3, 0.7)); // score before its sample

        GroupState back = roundTrip(StoreSerdes.groupState(), g);
        assertThat(back.groupId()).isEqualTo("g");
        assertThat(back.promptId()).isEqualTo("g-p");
        assertThat(back.openedAtMs()).isEqualTo(1234);
        assertThat(back.groupSize()).isEqualTo(3);
        assertThat(back.samples()).containsExactlyElementsOf(g.samples());
        assertThat(back.scores()).isEqualTo(g.scores());
    }

    @Test
    void retainedSamplesPendingFeedbackAndRatingsRoundTrip() {
        var sample = new StoreSerdes.RetainedSample(sample("g", 0, 2, "a"), 77);
        assertThat(roundTrip(StoreSerdes.retainedSample(), sample)).isEqualTo(sample);

        var fb = rating("r1", "g", 0, 3.0, "bob");
        var pending = roundTrip(StoreSerdes.pendingFeedback(),
                new StoreSerdes.PendingFeedback(fb, new byte[] {0, 1, 2}, 5, "odpo.feedback", 2, 42));
        assertThat(pending.feedback()).isEqualTo(fb);
        assertThat(pending.raw()).containsExactly(0, 1, 2);
        assertThat(pending.receivedAtMs()).isEqualTo(5);
        assertThat(pending.topic()).isEqualTo("odpo.feedback");
        assertThat(pending.partition()).isEqualTo(2);
        assertThat(pending.offset()).isEqualTo(42);

        var rated = new StoreSerdes.RetainedRating(fb, sample("g", 0, 2, "a"), 9);
        assertThat(roundTrip(StoreSerdes.retainedRating(), rated)).isEqualTo(rated);
    }

    @Test
    void stateFromAnotherFormatFailsLoudly() {
        assertThatThrownBy(() -> StoreSerdes.groupState().deserializer().deserialize("changelog", new byte[] {9, 0, 0}))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("format 9");
    }
}

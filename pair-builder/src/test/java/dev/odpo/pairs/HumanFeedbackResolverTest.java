package dev.odpo.pairs;

import static dev.odpo.pairs.Events.T0;
import static dev.odpo.pairs.Events.choice;
import static dev.odpo.pairs.Events.rating;
import static dev.odpo.pairs.Events.sample;
import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.events.FeedbackChoice;
import dev.odpo.events.HumanFeedback;
import dev.odpo.events.PairSource;
import dev.odpo.events.PreferencePair;
import dev.odpo.events.Sample;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HumanFeedbackResolverTest {
    private final Map<String, Sample> known = Map.of(
            "g-s0", sample("g", 0, 3, "first"),
            "g-s1", sample("g", 1, 3, "second"),
            "g-s2", sample("g", 2, 3, "first"));

    private HumanFeedbackResolver.Outcome resolve(HumanFeedback fb) {
        return HumanFeedbackResolver.resolve(fb, id -> Optional.ofNullable(known.get(id)), T0);
    }

    @Test
    void choiceBBecomesAHumanPairWithItsWeight() {
        var outcome = resolve(choice("fb1", "g", 0, 1, FeedbackChoice.B));
        assertThat(outcome).isInstanceOf(HumanFeedbackResolver.Paired.class);
        PreferencePair pair = ((HumanFeedbackResolver.Paired) outcome).pair();
        assertThat(pair.getChosenSampleId()).isEqualTo("g-s1");
        assertThat(pair.getRejectedSampleId()).isEqualTo("g-s0");
        assertThat(pair.getSource()).isEqualTo(PairSource.HUMAN);
        assertThat(pair.getSelection()).isEqualTo("human");
        assertThat(pair.getJudge()).isEqualTo("alice");
        assertThat(pair.getFeedbackId()).isEqualTo("fb1");
        assertThat(pair.getWeight()).isEqualTo(2.0);
        assertThat(pair.getMargin()).isEqualTo(1.0);
        assertThat(pair.getPairId()).isEqualTo(PairIds.ofHumanChoice("fb1"));
    }

    @Test
    void tiesAndIdenticalResponsesGiveNothing() {
        assertThat(resolve(choice("fb1", "g", 0, 1, FeedbackChoice.TIE))).isInstanceOf(HumanFeedbackResolver.Tie.class);
        assertThat(resolve(choice("fb2", "g", 0, 2, FeedbackChoice.A))).isInstanceOf(HumanFeedbackResolver.Tie.class);
    }

    @Test
    void unknownSamplesAreNamed() {
        assertThat(resolve(choice("fb1", "g", 0, 7, FeedbackChoice.A)))
                .isEqualTo(new HumanFeedbackResolver.MissingSamples(java.util.List.of("g-s7")));
    }

    @Test
    void malformedFeedbackIsInvalid() {
        HumanFeedback neither = rating("fb1", "g", 0, 1, "bob");
        neither.setRating(null);
        assertThat(resolve(neither)).isInstanceOf(HumanFeedbackResolver.Invalid.class);
        assertThat(resolve(choice("fb2", "g", 1, 1, FeedbackChoice.A)))
                .isEqualTo(new HumanFeedbackResolver.Invalid("sample_a_id and sample_b_id are the same sample: g-s1"));
        HumanFeedback nan = rating("fb3", "g", 0, Double.NaN, "bob");
        assertThat(resolve(nan)).isInstanceOf(HumanFeedbackResolver.Invalid.class);
    }

    @Test
    void twoRatingsMakeAPairByRatingDifference() {
        HumanFeedback low = rating("r1", "g", 0, 2.0, "bob");
        HumanFeedback high = rating("r2", "g", 1, 4.5, "carol");
        high.setWeight(0.5);
        assertThat(resolve(low)).isInstanceOf(HumanFeedbackResolver.Rated.class);
        var outcome = HumanFeedbackResolver.pairRatings(high, known.get("g-s1"), low, known.get("g-s0"), T0);
        PreferencePair pair = ((HumanFeedbackResolver.Paired) outcome).pair();
        assertThat(pair.getChosenSampleId()).isEqualTo("g-s1");
        assertThat(pair.getMargin()).isEqualTo(2.5);
        assertThat(pair.getJudge()).isEqualTo("carol+bob");
        assertThat(pair.getFeedbackId()).isEqualTo("r1+r2");
        assertThat(pair.getWeight()).isEqualTo(0.5);
        assertThat(pair.getPairId()).isEqualTo(PairIds.ofHumanRatings("r2", "r1"));
        assertThat(HumanFeedbackResolver.pairRatings(low, known.get("g-s0"), rating("r3", "g", 1, 2.0, "x"), known.get("g-s1"), T0))
                .isInstanceOf(HumanFeedbackResolver.Tie.class);
    }
}

package dev.odpo.pairs;

import static dev.odpo.pairs.Events.sample;
import static dev.odpo.pairs.Events.score;
import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.events.PairSource;
import dev.odpo.events.ScorerKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScorerChoiceTest {

    @Test
    void anyScorerTakesTheFirstScoreOfEachSample() {
        GroupState g = new GroupState("g", "g-p", 0);
        g.add(sample("g", 0, 1, "a"));
        g.add(score("g", 0, 1, "verifier:arith", ScorerKind.VERIFIER, 1.0));
        g.add(score("g", 0, 1, "reward-model:rm", ScorerKind.REWARD_MODEL, 0.2));
        ScoredSample s = g.scoredSamples(ScorerChoice.parse(""), LengthUnit.CHARS).get(0);
        assertThat(s.reward().value()).isEqualTo(1.0);
        assertThat(s.reward().source()).isEqualTo(PairSource.VERIFIER);
        assertThat(s.reward().judge()).isEqualTo("verifier:arith");
    }

    @Test
    void namedScorersAreSummedAndASampleWaitsForAllOfThem() {
        ScorerChoice choice = ScorerChoice.parse("reward-model:rm, length-penalty");
        assertThat(choice.scorers()).containsExactly("reward-model:rm", "length-penalty");
        GroupState g = new GroupState("g", "g-p", 0);
        g.add(sample("g", 0, 1, "a"));
        g.add(score("g", 0, 1, "reward-model:rm", ScorerKind.REWARD_MODEL, 0.75));
        assertThat(g.scoredSamples(choice, LengthUnit.CHARS)).isEmpty();
        assertThat(g.isComplete(choice, LengthUnit.CHARS)).isFalse();

        g.add(score("g", 0, 1, "verifier:other", ScorerKind.VERIFIER, 100)); // not named: ignored
        g.add(score("g", 0, 1, "length-penalty", ScorerKind.LENGTH_PENALTY, -0.25));
        ScoredSample s = g.scoredSamples(choice, LengthUnit.CHARS).get(0);
        assertThat(s.reward().value()).isEqualTo(0.5);
        assertThat(s.reward().judge()).isEqualTo("reward-model:rm+length-penalty");
        assertThat(s.reward().source()).isEqualTo(PairSource.REWARD_MODEL);
        assertThat(g.isComplete(choice, LengthUnit.CHARS)).isTrue();
    }

    @Test
    void aRepeatedScoreFromTheSameScorerReplacesTheEarlierOne() {
        GroupState g = new GroupState("g", "g-p", 0);
        g.add(sample("g", 0, 1, "a"));
        g.add(score("g", 0, 1, 0.1));
        g.add(score("g", 0, 1, 0.9));
        assertThat(g.scores().get("g-s0")).hasSize(1);
        assertThat(g.scoredSamples(ScorerChoice.any(), LengthUnit.CHARS).get(0).reward().value()).isEqualTo(0.9);
    }

    @Test
    void scoresBeforeTheirSampleCountOnceTheSampleArrives() {
        GroupState g = new GroupState("g", "g-p", 0);
        g.add(score("g", 0, 2, 0.1));
        g.add(score("g", 1, 2, 0.2));
        assertThat(g.isComplete(ScorerChoice.any(), LengthUnit.CHARS)).isFalse();
        g.add(sample("g", 0, 2, "a"));
        g.add(sample("g", 1, 2, "b"));
        assertThat(g.isComplete(ScorerChoice.any(), LengthUnit.CHARS)).isTrue();
    }

    @Test
    void onlyOtherKindsGiveOtherSource() {
        assertThat(ScorerChoice.sourceOf(List.of(score("g", 0, 1, "lp", ScorerKind.LENGTH_PENALTY, 0))))
                .isEqualTo(PairSource.OTHER);
    }

    @Test
    void tokenLengthsComeFromTheScorerOrTheSample() {
        dev.odpo.events.Sample s = sample("g", 0, 1, "four words of text");
        assertThat(LengthUnit.CHARS.lengthOf(s, List.of())).isEqualTo(18);
        assertThat(LengthUnit.TOKENS.lengthOf(s, List.of())).isEqualTo(18); // no tokens known: characters
        s.setResponseTokenIds(List.of(5, 6, 7));
        assertThat(LengthUnit.TOKENS.lengthOf(s, List.of())).isEqualTo(3);
        dev.odpo.events.Score sc = score("g", 0, 1, 0.0);
        sc.setResponseLength(4);
        assertThat(LengthUnit.TOKENS.lengthOf(s, List.of(sc))).isEqualTo(4);
    }
}

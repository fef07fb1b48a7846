package dev.odpo.task;

import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DemonstrationsTest {
    private final GoldReward gold = new GoldReward();

    @Test
    void demonstrationsMixCorrectAnswersWithRealisticFailures() {
        List<Demonstration> demos = Demonstrations.build(TaskSuite.standard(), DemonstrationMix.standard(), 3000, 11);
        Map<Demonstration.Behaviour, Integer> counts = new EnumMap<>(Demonstration.Behaviour.class);
        for (Demonstration d : demos) {
            counts.merge(d.behaviour(), 1, Integer::sum);
            GoldVerdict v = gold.score(d.prompt(), d.response()).verdict();
            switch (d.behaviour()) {
                case CORRECT -> assertThat(v).as(d.toString()).isEqualTo(GoldVerdict.CORRECT);
                case VERBOSE_CORRECT -> assertThat(v).as(d.toString()).isEqualTo(GoldVerdict.CORRECT_VERBOSE);
                case WRONG, VERBOSE_WRONG -> assertThat(v).as(d.toString()).isEqualTo(GoldVerdict.WRONG);
                case REFUSAL -> assertThat(v).as(d.toString()).isEqualTo(GoldVerdict.REFUSAL);
                // an echo of the question is read like any text: "What is 47 + 38?" states the wrong
                // answer 38, and "Reverse: 1 0 1" happens to be right
                case MALFORMED -> {
                    if (!d.response().equals(d.prompt().text())) {
                        assertThat(v).as(d.toString()).isEqualTo(GoldVerdict.MALFORMED);
                    }
                }
            }
        }
        DemonstrationMix mix = DemonstrationMix.standard();
        mix.asMap().forEach((b, f) -> assertThat(counts.getOrDefault(b, 0) / 3000.0).as(b.name()).isCloseTo(f,
                org.assertj.core.data.Offset.offset(0.03)));
        double correctShare = demos.stream().filter(d -> gold.score(d.prompt(), d.response()).correct()).count() / 3000.0;
        // a mix: most demonstrations right, but a third of them wrong, refused or malformed
        assertThat(correctShare).isBetween(0.55, 0.75);
    }

    @Test
    void deterministicGivenSeed() {
        assertThat(Demonstrations.build(TaskSuite.standard(), DemonstrationMix.standard(), 200, 5))
                .isEqualTo(Demonstrations.build(TaskSuite.standard(), DemonstrationMix.standard(), 200, 5))
                .isNotEqualTo(Demonstrations.build(TaskSuite.standard(), DemonstrationMix.standard(), 200, 6));
    }

    @Test
    void mixMustBeAValidDistribution() {
        assertThatThrownBy(() -> new DemonstrationMix(0.5, 0.5, 0.5, 0, 0, 0)).hasMessageContaining("sum to 1");
        assertThatThrownBy(() -> new DemonstrationMix(1.5, -0.5, 0, 0, 0, 0)).hasMessageContaining(">= 0");
    }
}

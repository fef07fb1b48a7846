package dev.odpo.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.odpo.events.SamplerKind;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DrawPlanTest {

    @Test
    void vanillaDrawsEveryResponseFromThePolicyWithoutPairSlots() {
        List<Draw> draws = DrawPlan.of(SamplerChoice.VANILLA, 5, new Random(1));
        assertThat(draws).extracting(Draw::indexInGroup).containsExactly(0, 1, 2, 3, 4);
        assertThat(draws).extracting(Draw::sampler).containsOnly(SamplerKind.POLICY);
        assertThat(draws).extracting(Draw::pairSlot).containsOnlyNulls();
    }

    @Test
    void pilafDrawsPairsThatShareASlotAndASource() {
        Random rng = new Random(7);
        int policyPairs = 0;
        int pilafPairs = 0;
        for (int prompt = 0; prompt < 500; prompt++) {
            List<Draw> draws = DrawPlan.of(SamplerChoice.PILAF, 4, rng);
            assertThat(draws).extracting(Draw::indexInGroup).containsExactly(0, 1, 2, 3);
            assertThat(draws).extracting(Draw::pairSlot).containsExactly(0, 0, 1, 1);
            for (int slot = 0; slot < 2; slot++) {
                SamplerKind a = draws.get(2 * slot).sampler();
                SamplerKind b = draws.get(2 * slot + 1).sampler();
                if (a == SamplerKind.POLICY) {
                    assertThat(b).as("a pair from π_θ is two samples from π_θ").isEqualTo(SamplerKind.POLICY);
                    policyPairs++;
                } else {
                    assertThat(List.of(a, b)).containsExactly(SamplerKind.PILAF_PLUS, SamplerKind.PILAF_MINUS);
                    pilafPairs++;
                }
            }
        }
        // each pair flips a fair coin: 1000 pairs, so each side is 500 ± 4.5 standard deviations (~70)
        assertThat(policyPairs).isBetween(430, 570);
        assertThat(policyPairs + pilafPairs).isEqualTo(1000);
    }

    @Test
    void pilafNeedsAnEvenGroup() {
        assertThatThrownBy(() -> DrawPlan.of(SamplerChoice.PILAF, 3, new Random(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("even");
    }

    @Test
    void theSamePlanForTheSameSeed() {
        assertThat(DrawPlan.of(SamplerChoice.PILAF, 8, new Random(3))).isEqualTo(DrawPlan.of(SamplerChoice.PILAF, 8, new Random(3)));
    }
}

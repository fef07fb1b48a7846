package dev.odpo.evaluator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WinRateTest {

    @Test
    void aWinCountsOneATieHalfALossNothing() {
        // win, tie, loss, win: (1 + 0.5 + 0 + 1) / 4
        assertThat(WinRate.of(new double[] {1.0, 0.1, 0.0, 0.6}, new double[] {0.1, 0.1, 1.0, 0.3})).isEqualTo(0.625);
    }

    @Test
    void aPolicyAgainstItselfIsExactlyOneHalf() {
        double[] rewards = {1.0, 0.0, 0.3, 0.05};
        assertThat(WinRate.of(rewards, rewards.clone())).isEqualTo(0.5);
    }

    @Test
    void rewardsOfDifferentPromptSetsAreRefused() {
        assertThatThrownBy(() -> WinRate.of(new double[] {1}, new double[] {1, 0}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WinRate.of(new double[0], new double[0])).isInstanceOf(IllegalArgumentException.class);
    }
}

package dev.odpo.learner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.events.PreferencePair;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LearnerTest {

    static PreferencePair.Builder pair() {
        return PreferencePair.newBuilder().setPairId("pair-1").setPromptId("p1").setCreatedAt(Instant.now())
                .setPromptText("What is 2+2?").setChosenText("4").setRejectedText("5")
                .setChosenSampleId("s1").setRejectedSampleId("s2").setChosenReward(1).setRejectedReward(0)
                .setMargin(1).setChosenPolicyVersion(2).setRejectedPolicyVersion(2)
                .setSelection("max-min").setJudge("verifier");
    }

    @Test
    void aValidPairHasNoProblems() {
        assertThat(Learner.problems("p1", pair().build(), 100)).isEmpty();
    }

    @Test
    void pairsThatCannotBeTrainedOnAreRefusedWithTheReason() {
        assertThat(Learner.problems("p1", pair().setRejectedSampleId("s1").build(), 100))
                .containsExactly("chosen and rejected are the same sample s1");
        assertThat(Learner.problems("p1", pair().setMargin(Double.NaN).build(), 100))
                .containsExactly("margin is not a finite number: NaN");
        assertThat(Learner.problems("p1", pair().setWeight(0).build(), 100))
                .containsExactly("weight must be positive and finite, was 0.0");
        assertThat(Learner.problems("p1", pair().setChosenText("z".repeat(101)).build(), 100))
                .containsExactly("chosen_text is too long: 101 characters, at most 100 allowed");
        assertThat(Learner.problems("p1", pair().setPromptText("").build(), 100)).containsExactly("prompt_text is empty");
    }
}

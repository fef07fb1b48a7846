package dev.odpo.scorer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.events.Sample;
import dev.odpo.kafka.RecordCheck;
import org.junit.jupiter.api.Test;

class ScorerTest {

    static Sample.Builder sample() {
        return Samples.sample();
    }

    @Test
    void aValidSampleHasNoProblems() {
        assertThat(Scorer.problems("p1", sample().build(), 100)).isEmpty();
    }

    @Test
    void anEmptyResponseIsARealOutputAndIsScored() {
        assertThat(Scorer.problems("p1", sample().setResponseText("").build(), 100)).isEmpty();
    }

    @Test
    void brokenSamplesAreRefusedWithEveryReason() {
        Sample bad = sample().setSampleId("").setPromptText("").setResponseText("y".repeat(101))
                .setIndexInGroup(4).setPolicyVersion(-1).build();
        assertThat(Scorer.problems("p9", bad, 100)).containsExactly(
                "sample_id is missing or blank",
                "record key 'p9' differs from prompt_id 'p1'",
                "prompt_text is empty",
                "response_text is too long: 101 characters, at most 100 allowed",
                "index_in_group 4 is outside the group of 4",
                "policy_version must not be negative, was -1");
    }

    @Test
    void anAbsurdGroupSizeIsRefusedWithTheLimitEveryServiceShares() {
        for (int size : new int[] {0, -4, RecordCheck.MAX_GROUP_SIZE + 1, 1_000_000, Integer.MAX_VALUE}) {
            Sample absurd = sample().setGroupSize(size).setIndexInGroup(0).build();
            assertThat(Scorer.problems("p1", absurd, 100)).as("group_size %d", size)
                    .containsExactly("group_size " + size + " is outside 1.." + RecordCheck.MAX_GROUP_SIZE);
        }
        Sample largest = sample().setGroupSize(RecordCheck.MAX_GROUP_SIZE).setIndexInGroup(RecordCheck.MAX_GROUP_SIZE - 1)
                .build();
        assertThat(Scorer.problems("p1", largest, 100)).isEmpty();
    }
}

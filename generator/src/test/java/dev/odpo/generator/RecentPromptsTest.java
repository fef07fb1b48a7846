package dev.odpo.generator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RecentPromptsTest {

    private static RecentPrompts.Source at(long offset) {
        return new RecentPrompts.Source(0, offset);
    }

    @Test
    void aPromptIdFromAnotherRecordIsADuplicateButTheSameRecordServedAgainIsNot() {
        RecentPrompts recent = new RecentPrompts(10);
        assertThat(recent.firstSampledAt("p1", at(0))).isNull();
        assertThat(recent.firstSampledAt("p1", at(0))).as("the batch served again after an abort").isNull();
        assertThat(recent.firstSampledAt("p1", at(7))).isEqualTo(at(0));
        assertThat(recent.firstSampledAt("p2", at(8))).isNull();
    }

    @Test
    void theWindowIsBoundedAndForgetsTheLeastRecentlySeenFirst() {
        RecentPrompts recent = new RecentPrompts(3);
        for (int i = 0; i < 1000; i++) {
            recent.firstSampledAt("p" + i, at(i));
        }
        assertThat(recent.size()).isEqualTo(3);
        assertThat(recent.firstSampledAt("p999", at(5000))).isEqualTo(at(999));
        assertThat(recent.firstSampledAt("p0", at(5001))).as("forgotten").isNull();
    }

    @Test
    void aWindowOfZeroSamplesEveryRecord() {
        RecentPrompts recent = new RecentPrompts(0);
        assertThat(recent.firstSampledAt("p1", at(0))).isNull();
        assertThat(recent.firstSampledAt("p1", at(1))).isNull();
        assertThat(recent.size()).isZero();
    }
}

package dev.odpo.pairs;

import dev.odpo.events.Sample;

/** A sample with the reward that counts for it and its response length (in the configured unit). */
public record ScoredSample(Sample sample, ScorerChoice.Reward reward, int length) {

    /** The value pairs are ranked by: reward − λ·|response| (papers/002, eq. 8); λ = 0 means the reward itself. */
    public double selectionReward(double lengthPenalty) {
        return reward.value() - lengthPenalty * length;
    }

    public String sampleId() {
        return sample.getSampleId();
    }
}

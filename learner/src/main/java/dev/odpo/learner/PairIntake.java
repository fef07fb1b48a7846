package dev.odpo.learner;

import dev.odpo.events.PreferencePair;
import dev.odpo.kafka.RecordCheck;
import dev.odpo.model.EncodedPair;
import dev.odpo.policy.PromptEncoding;
import java.util.List;
import org.apache.kafka.common.TopicPartition;

/**
 * From a decoded {@code PreferencePair} to what a DPO step takes: what makes a pair unusable (it is
 * dead-lettered with the reason), its token ids under the policy's one {@link PromptEncoding}, and how stale
 * its samples are.
 */
final class PairIntake {

    /**
     * A pair waiting in the learner's buffer.
     *
     * @param partition where it was consumed
     * @param offset    its offset there
     * @param pairId    its id (duplicates share it)
     * @param encoded   its token ids and weight
     * @param staleness versions between the learner's version at intake and the older of its two samples' versions
     */
    record Buffered(TopicPartition partition, long offset, String pairId, EncodedPair encoded, long staleness) {
        /** "pair-id \t topic-partition@offset", the lineage line of a trained pair. */
        String lineage() {
            return pairId + "\t" + partition + "@" + offset;
        }
    }

    private PairIntake() {
    }

    /** What makes a pair unusable for training; empty when it is fine. */
    static List<String> problems(String key, PreferencePair p, int maxChars) {
        return new RecordCheck.Problems()
                .id("pair_id", p.getPairId())
                .id("prompt_id", p.getPromptId())
                .id("chosen_sample_id", p.getChosenSampleId())
                .id("rejected_sample_id", p.getRejectedSampleId())
                .keyMatches(key, "prompt_id", p.getPromptId())
                .text("prompt_text", p.getPromptText(), maxChars)
                .check(p.getChosenText().length() <= maxChars, "chosen_text is too long: "
                        + p.getChosenText().length() + " characters, at most " + maxChars + " allowed")
                .check(p.getRejectedText().length() <= maxChars, "rejected_text is too long: "
                        + p.getRejectedText().length() + " characters, at most " + maxChars + " allowed")
                .check(p.getChosenSampleId() == null || !p.getChosenSampleId().equals(p.getRejectedSampleId()),
                        "chosen and rejected are the same sample " + p.getChosenSampleId())
                .check(Double.isFinite(p.getMargin()), "margin is not a finite number: " + p.getMargin())
                .check(Double.isFinite(p.getWeight()) && p.getWeight() > 0, "weight must be positive and finite, was "
                        + p.getWeight())
                .list();
    }

    /**
     * The pair's ids: prompt, then each response with EOS.
     *
     * @throws IllegalArgumentException when it cannot be trained on: a sequence longer than {@code maxTokens}
     */
    static EncodedPair encode(PreferencePair p, PromptEncoding encoding, int maxTokens) {
        int[] prompt = encoding.prompt(p.getPromptText());
        EncodedPair e = new EncodedPair(prompt, encoding.response(p.getChosenText()),
                encoding.response(p.getRejectedText()), p.getWeight());
        if (e.maxLength() > maxTokens) {
            throw new IllegalArgumentException("prompt + response is " + e.maxLength() + " tokens, longer than the "
                    + maxTokens + " the learner takes");
        }
        return e;
    }

    /** Versions between the learner's version and the older sample's; 0 for samples of a newer version. */
    static long staleness(PreferencePair p, long learnerVersion) {
        long sampled = Math.min(p.getChosenPolicyVersion(), p.getRejectedPolicyVersion());
        return Math.max(0, learnerVersion - sampled);
    }
}

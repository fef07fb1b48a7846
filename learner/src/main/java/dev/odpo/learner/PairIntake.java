package dev.odpo.learner;

import dev.odpo.events.PreferencePair;
import dev.odpo.kafka.DeadLetters;
import dev.odpo.kafka.RecordCheck;
import dev.odpo.kafka.Topic;
import dev.odpo.model.EncodedPair;
import dev.odpo.policy.PromptEncoding;
import dev.odpo.registry.serde.RegistryUnavailableException;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.LongPredicate;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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

    /**
     * What becomes of one consumed record.
     *
     * @param kind       accepted into the buffer, or why not
     * @param pair       the buffered pair (ACCEPTED only)
     * @param errorClass for a dead letter (REJECTED only)
     * @param reason     for a dead letter (REJECTED only)
     */
    record Outcome(Kind kind, Buffered pair, String errorClass, String reason) {
        enum Kind { ACCEPTED, REJECTED, DUPLICATE, STALE }

        static Outcome rejected(String errorClass, String reason) {
            return new Outcome(Kind.REJECTED, null, errorClass, reason);
        }
    }

    private final Topic<String, PreferencePair> topic;
    private final int maxChars;
    private final IntSupplier maxTokens;
    private final LongPredicate tooStale;

    /**
     * @param topic     the pairs topic, for its serdes
     * @param maxChars  longer texts are rejected
     * @param maxTokens longer sequences are rejected (the setting, capped by the model's positions)
     * @param tooStale  whether a pair this many versions behind is skipped
     */
    PairIntake(Topic<String, PreferencePair> topic, int maxChars, IntSupplier maxTokens, LongPredicate tooStale) {
        this.topic = topic;
        this.maxChars = maxChars;
        this.maxTokens = maxTokens;
        this.tooStale = tooStale;
    }

    /**
     * Decodes, checks and encodes one record, and decides: into the buffer, a dead letter, a duplicate
     * ({@code known} says whether a pair id was trained or is buffered), or too stale.
     *
     * @throws RegistryUnavailableException when the registry cannot be reached: not the record's fault
     */
    Outcome take(ConsumerRecord<byte[], byte[]> raw, PromptEncoding encoding, long learnerVersion,
                 Predicate<String> known) {
        String key;
        PreferencePair pair;
        try {
            key = raw.key() == null ? null : topic.keySerde().deserializer().deserialize(raw.topic(), raw.key());
            if (raw.value() == null) {
                return Outcome.rejected(DeadLetters.INVALID_RECORD, "record has no value");
            }
            pair = topic.valueSerde().deserializer().deserialize(raw.topic(), raw.headers(), raw.value());
        } catch (RegistryUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            return Outcome.rejected(DeadLetters.errorClass(e), String.valueOf(e.getMessage()));
        }
        List<String> problems = problems(key, pair, maxChars);
        if (!problems.isEmpty()) {
            return Outcome.rejected(DeadLetters.INVALID_RECORD, String.join("; ", problems));
        }
        EncodedPair encoded;
        try {
            encoded = encode(pair, encoding, maxTokens.getAsInt());
        } catch (IllegalArgumentException e) {
            return Outcome.rejected(DeadLetters.INVALID_RECORD, e.getMessage());
        }
        long staleness = staleness(pair, learnerVersion);
        if (known.test(pair.getPairId())) {
            return new Outcome(Outcome.Kind.DUPLICATE, null, null, null);
        }
        if (tooStale.test(staleness)) {
            return new Outcome(Outcome.Kind.STALE, null, null, null);
        }
        return new Outcome(Outcome.Kind.ACCEPTED, new Buffered(new TopicPartition(raw.topic(), raw.partition()),
                raw.offset(), pair.getPairId(), encoded, staleness), null, null);
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

package dev.odpo.scorer;

import dev.odpo.events.Sample;
import dev.odpo.kafka.ConsumerLoop;
import dev.odpo.kafka.RecordCheck;
import dev.odpo.kafka.LoopService;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the scorer's loop: consumes samples, dead-letters the ones it cannot use and logs each valid one.
 * Rewards (reward model, verifiers, length penalty) are added by the scoring issue.
 */
public final class Scorer implements LoopService {

    private static final Logger log = LoggerFactory.getLogger(Scorer.class);
    static final String SERVICE = "scorer";

    private final ConsumerLoop<String, Sample> loop;

    private Scorer(ConsumerLoop<String, Sample> loop) {
        this.loop = loop;
    }

    public static Scorer create(ScorerConfig config) {
        return new Scorer(ConsumerLoop.forService(SERVICE, config.kafka(), config.kafka().topics().samples(),
                config.groupId(), (key, sample) -> problems(key, sample, config.maxChars()), Scorer::accept));
    }

    /**
     * What makes a sample unusable; empty when it is fine. An empty response is a real model output (an
     * immediate end of sequence) and is scored like any other; an oversized one is not.
     */
    static List<String> problems(String key, Sample s, int maxChars) {
        RecordCheck.Problems p = new RecordCheck.Problems()
                .id("sample_id", s.getSampleId())
                .id("prompt_id", s.getPromptId())
                .id("group_id", s.getGroupId())
                .id("policy_name", s.getPolicyName())
                .keyMatches(key, "prompt_id", s.getPromptId())
                .text("prompt_text", s.getPromptText(), maxChars)
                .check(s.getResponseText().length() <= maxChars, "response_text is too long: "
                        + s.getResponseText().length() + " characters, at most " + maxChars + " allowed")
                .check(s.getGroupSize() >= 1, "group_size must be at least 1, was " + s.getGroupSize())
                .check(s.getIndexInGroup() >= 0 && s.getIndexInGroup() < Math.max(1, s.getGroupSize()),
                        "index_in_group " + s.getIndexInGroup() + " is outside the group of " + s.getGroupSize())
                .check(s.getPolicyVersion() >= 0, "policy_version must not be negative, was " + s.getPolicyVersion());
        return p.list();
    }

    private static void accept(ConsumerRecord<String, Sample> record) {
        Sample s = record.value();
        log.info("sample {} for prompt {} ({}/{} of group {}, policy {} v{}, {} chars) from {}[{}]@{}", s.getSampleId(),
                s.getPromptId(), s.getIndexInGroup() + 1, s.getGroupSize(), s.getGroupId(), s.getPolicyName(),
                s.getPolicyVersion(), s.getResponseText().length(), record.topic(), record.partition(), record.offset());
    }

    @Override
    public ConsumerLoop<String, Sample> loop() {
        return loop;
    }
}

package dev.odpo.learner;

import dev.odpo.events.PreferencePair;
import dev.odpo.kafka.ConsumerLoop;
import dev.odpo.kafka.RecordCheck;
import dev.odpo.kafka.LoopService;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the learner's loop: consumes preference pairs, dead-letters the ones it cannot train on and logs
 * each valid one. Online DPO steps, checkpoints and their announcements are added by the learner issue.
 */
public final class Learner implements LoopService {

    private static final Logger log = LoggerFactory.getLogger(Learner.class);
    static final String SERVICE = "learner";

    private final ConsumerLoop<String, PreferencePair> loop;

    private Learner(ConsumerLoop<String, PreferencePair> loop) {
        this.loop = loop;
    }

    public static Learner create(LearnerConfig config) {
        return new Learner(ConsumerLoop.forService(SERVICE, config.kafka(), config.kafka().topics().pairs(),
                config.groupId(), (key, pair) -> problems(key, pair, config.maxChars()), Learner::accept));
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

    private static void accept(ConsumerRecord<String, PreferencePair> record) {
        PreferencePair p = record.value();
        log.info("pair {} for prompt {} (margin {}, {} by {}, policy v{}/v{}) from {}[{}]@{}", p.getPairId(),
                p.getPromptId(), String.format("%.3f", p.getMargin()), p.getSelection(), p.getJudge(),
                p.getChosenPolicyVersion(), p.getRejectedPolicyVersion(), record.topic(), record.partition(),
                record.offset());
    }

    @Override
    public ConsumerLoop<String, PreferencePair> loop() {
        return loop;
    }
}

package dev.odpo.evaluator;

import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.kafka.ConsumerLoop;
import dev.odpo.kafka.RecordCheck;
import dev.odpo.kafka.LoopService;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the evaluator's loop: consumes checkpoint announcements, dead-letters malformed ones and logs each
 * valid one. Loading the snapshot, verifying its sha256 and scoring it on held-out prompts are added by the
 * evaluation issue.
 */
public final class Evaluator implements LoopService {

    private static final Logger log = LoggerFactory.getLogger(Evaluator.class);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    static final String SERVICE = "evaluator";

    private final ConsumerLoop<String, CheckpointAnnouncement> loop;

    private Evaluator(ConsumerLoop<String, CheckpointAnnouncement> loop) {
        this.loop = loop;
    }

    public static Evaluator create(EvaluatorConfig config) {
        return new Evaluator(ConsumerLoop.forService(SERVICE, config.kafka(), config.kafka().topics().checkpoints(),
                config.groupId(), Evaluator::problems, Evaluator::accept));
    }

    /** What makes an announcement unusable; empty when it is fine. Checkpoints are keyed by policy name. */
    static List<String> problems(String key, CheckpointAnnouncement a) {
        return new RecordCheck.Problems()
                .id("announcement_id", a.getAnnouncementId())
                .id("policy_name", a.getPolicyName())
                .keyMatches(key, "policy_name", a.getPolicyName())
                .id("uri", a.getUri())
                .check(a.getVersion() >= 0, "version must not be negative, was " + a.getVersion())
                .check(SHA256.matcher(a.getSha256()).matches(),
                        "sha256 must be 64 lower-case hex digits, was '" + a.getSha256() + "'")
                .list();
    }

    private static void accept(ConsumerRecord<String, CheckpointAnnouncement> record) {
        CheckpointAnnouncement a = record.value();
        log.info("checkpoint {} v{} (step {}, {} pairs) at {} from {}[{}]@{}", a.getPolicyName(), a.getVersion(),
                a.getStep(), a.getPairsTrained(), a.getUri(), record.topic(), record.partition(), record.offset());
    }

    @Override
    public ConsumerLoop<String, CheckpointAnnouncement> loop() {
        return loop;
    }
}

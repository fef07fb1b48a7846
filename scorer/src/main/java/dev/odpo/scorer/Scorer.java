package dev.odpo.scorer;

import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import dev.odpo.kafka.BatchHandler;
import dev.odpo.kafka.ConsumerLoop;
import dev.odpo.kafka.LoopService;
import dev.odpo.kafka.RecordCheck;
import dev.odpo.kafka.Topic;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the scorer's loop: consumes samples in batches, judges each batch with the scorer's
 * {@link CompositeReward} and publishes one Score per sample. A batch's scores, its dead letters and its
 * consumed offsets are committed in one Kafka transaction, so each sample is scored once per scorer name
 * even across crashes (for readers with {@code isolation.level=read_committed}).
 */
public final class Scorer implements LoopService {

    private static final Logger log = LoggerFactory.getLogger(Scorer.class);
    static final String SERVICE = "scorer";

    private final ScorerConfig config;
    private final CompositeReward reward;
    private final Topic<String, Score> scores;
    private final ConsumerLoop<String, Sample> loop;
    private final AtomicLong scored = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong judgingNanos = new AtomicLong();

    Scorer(ScorerConfig config, CompositeReward reward) {
        this.config = config;
        this.reward = reward;
        this.scores = config.kafka().topics().scores();
        // Named after the scorer, so its dead letters and logs say which of several scorers wrote them.
        this.loop = ConsumerLoop.exactlyOnce(SERVICE + ":" + config.name(), config.kafka(), config.kafka().topics().samples(),
                        config.groupId(), config.instanceId(), config.batchSize(),
                        (key, sample) -> problems(key, sample, config.maxChars()), this::handle)
                .closeWhenStopped(reward);
    }

    /**
     * A scorer wired from its settings: rewinds its group first when asked to re-score the history, then
     * loads the reward model (if any).
     *
     * @throws dev.odpo.kafka.config.ConfigException when the reward model or its device cannot be used
     */
    public static Scorer create(ScorerConfig config) {
        log.info("scorer '{}' ({}): reward = {} ; group {}, instance {}", config.name(), config.reward().kind(),
                describe(config.reward()), config.groupId(), config.instanceId());
        // the reward first: a model that does not load is reported before anything is asked of Kafka
        CompositeReward reward = CompositeReward.load(config.reward());
        try {
            if (config.fromBeginning()) {
                HistoryRewind.toEarliest(config.kafka(), config.groupId(), config.kafka().topics().samples().name());
            }
            return new Scorer(config, reward);
        } catch (RuntimeException e) {
            reward.close();
            throw e;
        }
    }

    /** The reward as a formula, for the start-up log. */
    static String describe(ScorerConfig.RewardSpec spec) {
        StringBuilder out = new StringBuilder();
        for (ComponentKind kind : spec.components()) {
            out.append(out.length() == 0 ? "" : " + ").append(spec.weight(kind)).append("·").append(kind.id());
            if (kind == ComponentKind.LENGTH_PENALTY) {
                out.append("(λ=").append(spec.lambda()).append(" per ").append(spec.lengthUnit()).append(")");
            } else if (kind == ComponentKind.REWARD_MODEL) {
                out.append("(").append(spec.rewardModelDir()).append(" on ").append(spec.device()).append(")");
            }
        }
        return out.toString();
    }

    /**
     * What makes a sample unusable; empty when it is fine. An empty response is a real model output (an
     * immediate end of sequence) and is scored like any other, so the policy learns it is a bad answer; an
     * oversized one is not.
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
                .groupMember(s.getGroupSize(), s.getIndexInGroup(), RecordCheck.MAX_GROUP_SIZE)
                .check(s.getPolicyVersion() >= 0, "policy_version must not be negative, was " + s.getPolicyVersion());
        return p.list();
    }

    /** One batch: every sample judged together; a Score for each scored one, a dead letter for each refused one. */
    private void handle(List<ConsumerRecord<String, Sample>> records, BatchHandler.Output<String, Sample> out) {
        long start = System.nanoTime();
        List<Judgement> judgements = reward.judge(records.stream().map(ConsumerRecord::value).toList());
        Instant now = Instant.now();
        int refusedHere = 0;
        for (int i = 0; i < records.size(); i++) {
            ConsumerRecord<String, Sample> record = records.get(i);
            if (judgements.get(i) instanceof Judgement.Scored j) {
                out.send(scores, record.key(), ScoreEvents.of(record.value(), j, config.name(), config.reward().kind(), now));
            } else {
                out.reject(record, ((Judgement.Refused) judgements.get(i)).reason());
                refusedHere++;
            }
        }
        // Counted when the call returns; a batch whose transaction is aborted is consumed and counted again.
        judgingNanos.addAndGet(System.nanoTime() - start);
        scored.addAndGet(records.size() - refusedHere);
        refused.addAndGet(refusedHere);
    }

    @Override
    public ConsumerLoop<String, Sample> loop() {
        return loop;
    }

    public ScorerConfig config() {
        return config;
    }

    /** Samples this instance has given a Score (published once their batch commits). */
    public long scored() {
        return scored.get();
    }

    /** Samples this instance refused (dead-lettered by their batch) because no honest reward exists for them. */
    public long refused() {
        return refused.get();
    }

    /** Time spent judging (reward model, verifier, length penalty), the rest of the wall time being Kafka's. */
    public long judgingNanos() {
        return judgingNanos.get();
    }
}

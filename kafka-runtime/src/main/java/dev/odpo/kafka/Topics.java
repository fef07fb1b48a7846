package dev.odpo.kafka;

import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.DeadLetter;
import dev.odpo.events.EvalReport;
import dev.odpo.events.HumanFeedback;
import dev.odpo.events.LearnerMetrics;
import dev.odpo.events.PreferencePair;
import dev.odpo.events.Prompt;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import dev.odpo.registry.serde.SpecificAvroSerde;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The one place that declares every odpo topic.
 *
 * <p>Per-prompt topics (prompts, samples, scores, feedback, pairs) are keyed by prompt_id and share one
 * partition count, so a prompt's samples, scores, feedback and pairs meet in the same partition number and
 * can be joined without repartitioning. Per-policy topics (checkpoints, evaluations, learner metrics) are
 * keyed by policy name and have one partition, so their order is total. Pairs are kept forever: they are
 * the replay buffer D_{1:t}. Checkpoints are compacted (the newest announcement per policy is the live
 * policy) and deleted after a long retention.
 */
public final class Topics {

    public static final String DEFAULT_PREFIX = "odpo.";

    private final String prefix;
    private final int partitions;
    private final Topic<String, Prompt> prompts;
    private final Topic<String, Sample> samples;
    private final Topic<String, Score> scores;
    private final Topic<String, HumanFeedback> feedback;
    private final Topic<String, PreferencePair> pairs;
    private final Topic<String, CheckpointAnnouncement> checkpoints;
    private final Topic<String, EvalReport> evaluations;
    private final Topic<String, LearnerMetrics> learnerMetrics;
    private final Topic<String, DeadLetter> deadLetters;

    private Topics(String prefix, int partitions, Map<String, ?> serdeConfig) {
        this.prefix = prefix;
        this.partitions = partitions;
        Duration week = Duration.ofDays(7);
        Duration month = Duration.ofDays(30);
        prompts = perPrompt("prompts", Prompt.class, serdeConfig, week);
        samples = perPrompt("samples", Sample.class, serdeConfig, week);
        scores = perPrompt("scores", Score.class, serdeConfig, week);
        // Human feedback may arrive hours or days after its samples.
        feedback = perPrompt("feedback", HumanFeedback.class, serdeConfig, month);
        // The replay buffer: every pair ever built stays readable.
        pairs = perPrompt("pairs", PreferencePair.class, serdeConfig, Topic.FOREVER);
        checkpoints = new Topic<>(prefix + "checkpoints", Serdes.String(), avro(CheckpointAnnouncement.class, serdeConfig),
                1, "compact,delete", Duration.ofDays(365));
        evaluations = new Topic<>(prefix + "evaluations", Serdes.String(), avro(EvalReport.class, serdeConfig),
                1, "delete", Duration.ofDays(90));
        learnerMetrics = new Topic<>(prefix + "learner-metrics", Serdes.String(), avro(LearnerMetrics.class, serdeConfig),
                1, "delete", month);
        deadLetters = new Topic<>(prefix + "dead-letters", Serdes.String(), avro(DeadLetter.class, serdeConfig),
                partitions, "delete", month);
    }

    /**
     * @param prefix      prefix of every name; "odpo." by default
     * @param partitions  partition count of the per-prompt topics
     * @param serdeConfig configuration of the Avro serdes; must hold schema.registry.url
     */
    public static Topics create(String prefix, int partitions, Map<String, ?> serdeConfig) {
        if (prefix == null) {
            prefix = DEFAULT_PREFIX;
        }
        if (serdeConfig.get("schema.registry.url") == null) {
            throw new IllegalArgumentException("serde configuration must hold schema.registry.url");
        }
        return new Topics(prefix, partitions, serdeConfig);
    }

    private <V extends SpecificRecord> Topic<String, V> perPrompt(String name, Class<V> type, Map<String, ?> serdeConfig,
                                                                  Duration retention) {
        return new Topic<>(prefix + name, Serdes.String(), avro(type, serdeConfig), partitions, "delete", retention);
    }

    private static <V extends SpecificRecord> Serde<V> avro(Class<V> type, Map<String, ?> serdeConfig) {
        SpecificAvroSerde<V> serde = new SpecificAvroSerde<>(type);
        serde.configure(serdeConfig, false);
        return serde;
    }

    public String prefix() {
        return prefix;
    }

    public int partitions() {
        return partitions;
    }

    public Topic<String, Prompt> prompts() {
        return prompts;
    }

    public Topic<String, Sample> samples() {
        return samples;
    }

    public Topic<String, Score> scores() {
        return scores;
    }

    public Topic<String, HumanFeedback> feedback() {
        return feedback;
    }

    public Topic<String, PreferencePair> pairs() {
        return pairs;
    }

    public Topic<String, CheckpointAnnouncement> checkpoints() {
        return checkpoints;
    }

    public Topic<String, EvalReport> evaluations() {
        return evaluations;
    }

    public Topic<String, LearnerMetrics> learnerMetrics() {
        return learnerMetrics;
    }

    public Topic<String, DeadLetter> deadLetters() {
        return deadLetters;
    }

    /** Every topic, in the order of the loop. */
    public List<Topic<?, ?>> all() {
        return List.of(prompts, samples, scores, feedback, pairs, checkpoints, evaluations, learnerMetrics, deadLetters);
    }

    /** The per-prompt topics, keyed by prompt_id and co-partitioned. */
    public List<Topic<String, ?>> perPromptTopics() {
        return List.of(prompts, samples, scores, feedback, pairs);
    }

    /** Finds a topic by its full name (odpo.prompts) or its short name without the prefix (prompts). */
    public Optional<Topic<?, ?>> find(String name) {
        return all().stream()
                .filter(t -> t.name().equals(name) || t.name().equals(prefix + name))
                .findFirst();
    }

    /** The short names, for help texts and error messages. */
    public List<String> shortNames() {
        return all().stream().map(t -> t.name().substring(prefix.length())).toList();
    }
}

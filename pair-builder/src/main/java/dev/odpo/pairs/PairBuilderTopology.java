package dev.odpo.pairs;

import dev.odpo.events.HumanFeedback;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.Topics;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;

/**
 * The pair-builder as a Kafka Streams topology (Processor API, explicit stores, no record cache):
 *
 * <pre>
 *   samples  ─► decode-samples  ─┬─► groups ─────────┬─► pairs
 *   scores   ─► decode-scores   ─┘                   │
 *   samples ...                  └─► human-feedback ─┤
 *   feedback ─► decode-feedback ───► human-feedback ─┘
 *   (every node) ─────────────────────────────────────► dead-letters
 * </pre>
 *
 * All inputs are keyed by prompt_id and co-partitioned, so no repartitioning is needed.
 */
public final class PairBuilderTopology {
    static final String GROUPS = "groups";
    static final String HUMAN_FEEDBACK = "human-feedback";
    static final String PAIRS_SINK = "pairs-sink";
    static final String DEAD_LETTERS_SINK = "dead-letters-sink";
    static final String GROUPS_STORE = "pair-builder-groups";
    static final String CLOSED_GROUPS_STORE = "pair-builder-closed-groups";
    static final String SAMPLES_STORE = "pair-builder-samples";
    static final String PENDING_FEEDBACK_STORE = "pair-builder-pending-feedback";
    static final String RATINGS_STORE = "pair-builder-ratings";

    private PairBuilderTopology() {}

    public static Topology build(PairBuilderConfig config, Topics topics) {
        return build(config, topics, new PairBuilderMetrics());
    }

    public static Topology build(PairBuilderConfig config, Topics topics, PairBuilderMetrics metrics) {
        Topology topology = new Topology();
        StringDeserializer keys = new StringDeserializer();
        ByteArrayDeserializer raw = new ByteArrayDeserializer();

        // read raw bytes: decoding happens in the topology, so a bad record becomes a dead letter in the same transaction
        topology.addSource("samples-source", keys, raw, topics.samples().name());
        topology.addSource("scores-source", keys, raw, topics.scores().name());
        topology.addSource("feedback-source", keys, raw, topics.feedback().name());

        // decode and validate; samples feed both the groups and the human-feedback join
        topology.addProcessor("decode-samples", () -> new DecodingProcessor<Sample>(topics.samples().valueSerde().deserializer(),
                r -> validateSample(r, config.maxGroupSize()), List.of(GROUPS, HUMAN_FEEDBACK), metrics), "samples-source");
        topology.addProcessor("decode-scores", () -> new DecodingProcessor<Score>(topics.scores().valueSerde().deserializer(),
                r -> validateScore(r, config.maxGroupSize()), List.of(GROUPS), metrics), "scores-source");
        topology.addProcessor("decode-feedback", () -> new DecodingProcessor<HumanFeedback>(topics.feedback().valueSerde().deserializer(),
                PairBuilderTopology::validateFeedback, List.of(HUMAN_FEEDBACK), metrics), "feedback-source");

        // group samples with their scores and select pairs; flush or discard groups on timeout
        topology.addProcessor(GROUPS, () -> new SampleGroupProcessor(config, metrics), "decode-samples", "decode-scores");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(GROUPS_STORE),
                Serdes.String(), StoreSerdes.groupState()).withCachingDisabled(), GROUPS);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CLOSED_GROUPS_STORE),
                Serdes.String(), Serdes.Long()).withCachingDisabled(), GROUPS);

        // keep samples for late feedback; join feedback (choices now, ratings with other ratings)
        topology.addProcessor(HUMAN_FEEDBACK, () -> new HumanFeedbackProcessor(config, metrics), "decode-samples", "decode-feedback");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SAMPLES_STORE),
                Serdes.String(), StoreSerdes.retainedSample()).withCachingDisabled(), HUMAN_FEEDBACK);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PENDING_FEEDBACK_STORE),
                Serdes.String(), StoreSerdes.pendingFeedback()).withCachingDisabled(), HUMAN_FEEDBACK);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RATINGS_STORE),
                Serdes.String(), StoreSerdes.retainedRating()).withCachingDisabled(), HUMAN_FEEDBACK);

        // outputs
        topology.addSink(PAIRS_SINK, topics.pairs().name(), topics.pairs().keySerde().serializer(),
                anyValue(topics.pairs()), GROUPS, HUMAN_FEEDBACK);
        topology.addSink(DEAD_LETTERS_SINK, topics.deadLetters().name(), topics.deadLetters().keySerde().serializer(),
                anyValue(topics.deadLetters()), "decode-samples", "decode-scores", "decode-feedback", GROUPS, HUMAN_FEEDBACK);
        return topology;
    }

    @SuppressWarnings("unchecked")
    private static Serializer<Object> anyValue(Topic<String, ?> topic) {
        Serde<?> serde = topic.valueSerde();
        return (Serializer<Object>) serde.serializer();
    }

    static Optional<String> validateSample(Record<String, Sample> r, int maxGroupSize) {
        Sample s = r.value();
        return firstProblem(
                keyProblem(r.key(), s.getPromptId()),
                blank("sample_id", s.getSampleId()),
                blank("group_id", s.getGroupId()),
                groupSizeProblem(s.getGroupSize(), maxGroupSize),
                s.getIndexInGroup() < 0 || s.getIndexInGroup() >= s.getGroupSize()
                        ? "index_in_group " + s.getIndexInGroup() + " is outside the group of " + s.getGroupSize() : null);
    }

    static Optional<String> validateScore(Record<String, Score> r, int maxGroupSize) {
        Score s = r.value();
        return firstProblem(
                keyProblem(r.key(), s.getPromptId()),
                blank("score_id", s.getScoreId()),
                blank("sample_id", s.getSampleId()),
                blank("group_id", s.getGroupId()),
                blank("scorer", s.getScorer()),
                groupSizeProblem(s.getGroupSize(), maxGroupSize),
                Double.isFinite(s.getReward()) ? null : "reward must be a finite number, got " + s.getReward());
    }

    static Optional<String> validateFeedback(Record<String, HumanFeedback> r) {
        HumanFeedback fb = r.value();
        return firstProblem(
                keyProblem(r.key(), fb.getPromptId()),
                blank("feedback_id", fb.getFeedbackId()),
                HumanFeedbackResolver.validate(fb).orElse(null));
    }

    private static String keyProblem(String key, String promptId) {
        if (key == null) {
            return "record has no key; per-prompt topics are keyed by prompt_id (" + promptId + ")";
        }
        return key.equals(promptId) ? null
                : "record key '" + key + "' differs from prompt_id '" + promptId + "'; per-prompt topics are keyed by prompt_id";
    }

    private static String blank(String field, String value) {
        return value == null || value.isBlank() ? field + " is empty" : null;
    }

    private static String groupSizeProblem(int groupSize, int max) {
        return groupSize < 1 || groupSize > max ? "group_size " + groupSize + " is outside 1.." + max + " (max.group.size)" : null;
    }

    private static Optional<String> firstProblem(String... problems) {
        for (String p : problems) {
            if (p != null) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}

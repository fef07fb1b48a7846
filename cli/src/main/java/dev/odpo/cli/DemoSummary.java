package dev.odpo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.odpo.cli.monitor.LoopState;
import dev.odpo.events.Sample;
import dev.odpo.kafka.ReadToEnd;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * What a demo run left on its topics, written as {@code summary.json} next to its report: how many events
 * each topic holds, which policy versions the samples came from, and the evaluation table. A script (or a
 * test) can check a run without a broker.
 */
final class DemoSummary {

    private DemoSummary() {
    }

    static void write(Path file, KafkaSettings kafka, String policy, List<LoopState.Evaluation> rows, Improvement improvement,
                      LoopEfficiency efficiency) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("policy", policy);
        ObjectNode counts = root.putObject("events");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.rawConsumer("unused", "odpo-demo-summary"))) {
            for (Topic<?, ?> t : kafka.topics().all()) {
                counts.put(t.name().substring(kafka.topicPrefix().length()), count(consumer, t.name()));
            }
            ArrayNode versions = root.putArray("sample_versions");
            sampleVersions(consumer, kafka.topics().samples()).forEach((v, n) -> versions.addObject().put("version", v)
                    .put("samples", n));
        }
        ArrayNode table = root.putArray("evaluations");
        for (LoopState.Evaluation r : rows) {
            ObjectNode o = table.addObject();
            o.put("version", r.version());
            o.put("pairs_trained", r.pairsTrained());
            o.put("gold_reward", r.goldReward());
            o.put("accuracy", r.accuracy());
            o.put("greedy_accuracy", r.greedyAccuracy());
            o.put("kl", r.kl());
            o.put("objective", r.objective());
            o.put("mean_response_tokens", r.meanResponseTokens());
            o.put("proxy_reward", r.proxyReward());
            o.put("win_rate_vs_v0", r.winRate());
        }
        if (improvement != null) {
            ObjectNode i = root.putObject("improvement");
            i.put("first_version", rows.get(0).version());
            i.put("last_version", rows.get(rows.size() - 1).version());
            i.put("mean_gold_difference", improvement.mean());
            i.put("standard_error", improvement.standardError());
            i.put("comparisons", improvement.comparisons());
            i.put("beyond_noise", improvement.beyondNoise());
        }
        writeEfficiency(root.putObject("efficiency"), efficiency);
        json.writeValue(file.toFile(), root);
    }

    private static void writeEfficiency(ObjectNode o, LoopEfficiency e) {
        o.put("learner_seconds", e.learnerSeconds());
        o.put("pairs_trained", e.pairsTrained());
        o.put("pairs_per_minute", e.pairsPerMinute());
        o.put("learner_idle_share", e.learnerIdleShare());
        ObjectNode lag = o.putObject("policy_lag_pairs");
        e.lag().forEach((v, n) -> lag.put(Long.toString(v), n));
        o.put("policy_lag_mean", e.meanLag());
        o.put("skipped_stale", e.skippedStale());
        ArrayNode generators = o.putArray("generators");
        for (LoopEfficiency.GeneratorFigures g : e.generators()) {
            generators.addObject().put("id", g.id()).put("seconds", g.seconds()).put("samples", g.samples())
                    .put("tokens", g.tokens()).put("decoding_seconds", g.decoding()).put("waiting_seconds", g.waiting())
                    .put("adoptions", g.adoptions().size());
        }
        o.put("median_ready_seconds", e.medianReadySeconds());
        o.put("median_first_sample_seconds", e.medianFirstSampleSeconds());
    }

    private static long count(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        List<TopicPartition> partitions = ReadToEnd.partitions(consumer, topic, Duration.ofSeconds(30));
        long n = 0;
        Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
        for (Map.Entry<TopicPartition, Long> e : consumer.endOffsets(partitions).entrySet()) {
            n += e.getValue() - begin.get(e.getKey());
        }
        return n;   // offsets, so transaction markers count too: an upper bound on the events
    }

    /** Samples per policy version, read from the whole topic (committed samples only). */
    private static TreeMap<Long, Long> sampleVersions(KafkaConsumer<byte[], byte[]> consumer, Topic<String, Sample> topic) {
        TreeMap<Long, Long> out = new TreeMap<>();
        ReadToEnd.read(consumer, topic.name(), ReadToEnd.Start.BEGINNING, Duration.ofMinutes(1), r -> {
            try {
                out.merge(topic.value(r).getPolicyVersion(), 1L, Long::sum);
            } catch (RuntimeException e) {
                // not a sample this summary can read; the services dead-lettered it
            }
        });
        return out;
    }
}

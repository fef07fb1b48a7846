package dev.odpo.cli;

import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.EvalReport;
import dev.odpo.events.LearnerMetrics;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * What the loop has done so far, read from its own topics like any other monitor: the versions announced on
 * {@code checkpoints}, the reports on {@code evaluations} and the learner's latest metrics. Joins no consumer
 * group; {@link #poll()} reads whatever arrived since the last call.
 */
final class LoopWatch implements AutoCloseable {

    /** The evaluation table's columns of one version. */
    record Row(long version, long pairsTrained, double goldReward, double accuracy, double greedyAccuracy, double kl,
               double objective, double length, Double proxy) {}

    private final String policy;
    private final Topics topics;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final TreeMap<Long, CheckpointAnnouncement> versions = new TreeMap<>();
    private final TreeMap<Long, EvalReport> reports = new TreeMap<>();
    private LearnerMetrics latestMetrics;

    LoopWatch(KafkaSettings kafka, String policy) {
        this.policy = policy;
        this.topics = kafka.topics();
        this.consumer = new KafkaConsumer<>(kafka.rawConsumer("unused", "odpo-demo-watch"));
        List<TopicPartition> partitions = new ArrayList<>();
        for (Topic<String, ?> t : List.of(topics.checkpoints(), topics.evaluations(), topics.learnerMetrics())) {
            consumer.partitionsFor(t.name(), Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(t.name(), p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Reads what arrived since the last call. */
    void poll() {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            if (r.value() == null) {
                continue;
            }
            if (r.topic().equals(topics.checkpoints().name())) {
                CheckpointAnnouncement a = decode(topics.checkpoints(), r);
                if (a != null && a.getPolicyName().equals(policy)) {
                    versions.put(a.getVersion(), a);
                }
            } else if (r.topic().equals(topics.evaluations().name())) {
                EvalReport e = decode(topics.evaluations(), r);
                if (e != null && e.getPolicyName().equals(policy)) {
                    reports.put(e.getPolicyVersion(), e);
                }
            } else {
                LearnerMetrics m = decode(topics.learnerMetrics(), r);
                if (m != null && m.getPolicyName().equals(policy)) {
                    latestMetrics = m;
                }
            }
        }
    }

    private static <V> V decode(Topic<String, V> topic, ConsumerRecord<byte[], byte[]> r) {
        try {
            return topic.value(r);
        } catch (RuntimeException e) {
            return null;   // a monitor skips what it cannot read; the services dead-letter it
        }
    }

    /** The newest announced version, or -1. */
    long newestVersion() {
        return versions.isEmpty() ? -1 : versions.lastKey();
    }

    /** The newest evaluated version, or -1. */
    long newestEvaluated() {
        return reports.isEmpty() ? -1 : reports.lastKey();
    }

    Map<Long, EvalReport> reports() {
        return reports;
    }

    /** One progress line: versions, pairs, the learner's last metrics and the latest evaluation against π0. */
    String progressLine() {
        StringBuilder s = new StringBuilder();
        CheckpointAnnouncement live = versions.isEmpty() ? null : versions.lastEntry().getValue();
        s.append(live == null ? "no version yet" : String.format(Locale.ROOT, "v%d live (%,d pairs trained)",
                live.getVersion(), live.getPairsTrained()));
        if (latestMetrics != null) {
            s.append(String.format(Locale.ROOT, " | learner step %d: loss %.3f, reward acc %.2f",
                    latestMetrics.getStep(), latestMetrics.getLoss(), latestMetrics.getRewardAccuracy()));
        }
        if (!reports.isEmpty()) {
            EvalReport last = reports.lastEntry().getValue();
            EvalReport first = reports.firstEntry().getValue();
            s.append(String.format(Locale.ROOT, " | eval v%d: gold %.3f acc %.2f (v%d: %.3f / %.2f), KL %.2f, len %.1f",
                    last.getPolicyVersion(), last.getGoldReward(), orNaN(last.getAccuracy()), first.getPolicyVersion(),
                    first.getGoldReward(), orNaN(first.getAccuracy()), last.getKlToReference(),
                    orNaN(last.getMeanResponseTokens())));
        }
        return s.toString();
    }

    /** The evaluation table, one row per evaluated version. */
    List<Row> table() {
        List<Row> rows = new ArrayList<>();
        for (EvalReport e : reports.values()) {
            CheckpointAnnouncement a = versions.get(e.getPolicyVersion());
            Map<String, Double> m = e.getMetrics();
            rows.add(new Row(e.getPolicyVersion(), a == null ? 0 : a.getPairsTrained(), e.getGoldReward(),
                    orNaN(e.getAccuracy()), m.getOrDefault("greedy_accuracy", Double.NaN), e.getKlToReference(),
                    e.getObjective(), orNaN(e.getMeanResponseTokens()), e.getProxyReward()));
        }
        return rows;
    }

    static String format(List<Row> rows) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "%-8s %8s %8s %8s %8s %8s %8s %8s %8s%n", "version", "pairs", "gold", "acc", "greedy", "KL", "J", "length",
                "proxy"));
        for (Row r : rows) {
            s.append(String.format(Locale.ROOT, "%-8s %8d %8.3f %8.3f %8.3f %8.3f %8.3f %8.1f %8s%n", "v" + r.version(),
                    r.pairsTrained(), r.goldReward(), r.accuracy(), r.greedyAccuracy(), r.kl(), r.objective(), r.length(),
                    r.proxy() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.proxy())));
        }
        return s.toString();
    }

    private static double orNaN(Double d) {
        return d == null ? Double.NaN : d;
    }

    @Override
    public void close() {
        consumer.close();
    }
}

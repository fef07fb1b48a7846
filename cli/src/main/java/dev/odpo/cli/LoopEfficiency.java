package dev.odpo.cli;

import dev.odpo.events.LearnerMetrics;
import dev.odpo.generator.Generator;
import dev.odpo.generator.GeneratorStats;
import dev.odpo.kafka.ReadToEnd;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * How much of a run went into learning: pairs trained per minute, the policy lag of the pairs trained
 * (versions between the policy that sampled a pair and the version the learner was training when it took
 * it), the learner's idle share (waiting for pairs), each generator's rate and idle share (waiting for
 * prompts), and how long a new version took to reach the generators.
 *
 * @param learnerSeconds the learner's wall time covered by its metrics records
 * @param pairsTrained   pairs the learner trained on
 * @param lag            pairs trained, by versions behind the learner
 * @param skippedStale   pairs skipped as older than {@code learner.max.staleness}
 * @param learnerWaiting seconds the learner waited for pairs, with fewer than a minibatch in hand
 * @param generators     one entry per generator instance
 */
record LoopEfficiency(double learnerSeconds, long pairsTrained, SortedMap<Long, Long> lag, long skippedStale,
                      double learnerWaiting, List<GeneratorFigures> generators) {

    /**
     * One generator instance over its run.
     *
     * @param id        its generator id
     * @param seconds   since its consumer subscribed
     * @param samples   samples it handed to committed batches
     * @param tokens    tokens it generated
     * @param decoding  seconds spent decoding
     * @param waiting   seconds its consumer waited for prompts
     * @param adoptions the versions it adopted, with their latencies
     */
    record GeneratorFigures(String id, double seconds, long samples, long tokens, double decoding, double waiting,
                            List<GeneratorStats.Adoption> adoptions) {

        static GeneratorFigures of(String id, Generator g) {
            GeneratorStats.Snapshot s = g.stats().snapshot();
            return new GeneratorFigures(id, g.loop().runningNanos() / 1e9, s.samples(), s.tokens(), s.decodeNanos() / 1e9,
                    g.loop().pollNanos() / 1e9, g.stats().adoptions());
        }
    }

    LoopEfficiency {
        lag = Collections.unmodifiableSortedMap(new TreeMap<>(lag));
        generators = List.copyOf(generators);
    }

    /** Sums the learner's metrics records (each covers a window of steps) of one policy. */
    static LoopEfficiency of(List<LearnerMetrics> learner, List<GeneratorFigures> generators) {
        double seconds = 0;
        double waiting = 0;
        long pairs = 0;
        long stale = 0;
        TreeMap<Long, Long> lag = new TreeMap<>();
        for (LearnerMetrics m : learner) {
            Map<String, Double> extra = m.getMetrics();
            double window = extra.getOrDefault("window_seconds", 0.0);
            seconds += window;
            waiting += window * extra.getOrDefault("wait_share", 0.0);
            pairs += m.getPairs();
            stale += Math.round(extra.getOrDefault("skipped_stale", 0.0));
            extra.forEach((k, v) -> {
                if (k.startsWith("staleness_")) {
                    lag.merge(Long.parseLong(k.substring("staleness_".length())), Math.round(v), Long::sum);
                }
            });
        }
        return new LoopEfficiency(seconds, pairs, lag, stale, waiting, generators);
    }

    /** The learner's metrics of {@code policy} created at or after {@code sinceMillis}, read from the topic. */
    static List<LearnerMetrics> readLearnerMetrics(KafkaSettings kafka, String policy, long sinceMillis) {
        Topic<String, LearnerMetrics> topic = kafka.topics().learnerMetrics();
        List<LearnerMetrics> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(kafka.rawConsumer("unused", "odpo-loop-efficiency"))) {
            ReadToEnd.read(consumer, topic.name(), ReadToEnd.Start.since(sinceMillis), Duration.ofMinutes(1), r -> {
                try {
                    LearnerMetrics m = topic.value(r);
                    if (m.getPolicyName().equals(policy)) {
                        out.add(m);
                    }
                } catch (RuntimeException e) {
                    // not a metrics record this reader can decode; the learner never writes one
                }
            });
        }
        return out;
    }

    double pairsPerMinute() {
        return learnerSeconds > 0 ? pairsTrained * 60 / learnerSeconds : Double.NaN;
    }

    double learnerIdleShare() {
        return learnerSeconds > 0 ? learnerWaiting / learnerSeconds : Double.NaN;
    }

    /** Share of the pairs trained that were sampled {@code versions} behind the learner. */
    double lagShare(long versions) {
        return pairsTrained == 0 ? Double.NaN : lag.getOrDefault(versions, 0L) / (double) pairsTrained;
    }

    /** Mean versions behind, over the pairs trained. */
    double meanLag() {
        long n = lag.values().stream().mapToLong(Long::longValue).sum();
        return n == 0 ? Double.NaN
                : lag.entrySet().stream().mapToDouble(e -> e.getKey() * (double) e.getValue()).sum() / n;
    }

    /** Median of the generators' "snapshot written → verified and loaded", in seconds (NaN with no adoption). */
    double medianReadySeconds() {
        return median(generators.stream().flatMap(g -> g.adoptions().stream()).map(a -> a.ready().toMillis() / 1e3).toList());
    }

    /** Median of the generators' "snapshot written → first samples of it", in seconds. */
    double medianFirstSampleSeconds() {
        return median(generators.stream().flatMap(g -> g.adoptions().stream())
                .map(a -> a.firstSample().toMillis() / 1e3).toList());
    }

    int adoptions() {
        return generators.stream().mapToInt(g -> g.adoptions().size()).sum();
    }

    /** The lines the demo prints. */
    List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "  learner: %,d pairs trained in %.1f min (%.0f pairs/min), waiting for pairs "
                + "%.0f %% of the time", pairsTrained, learnerSeconds / 60, pairsPerMinute(), 100 * learnerIdleShare()));
        StringBuilder lagLine = new StringBuilder("  policy lag of the pairs trained (versions behind the learner):");
        lag.forEach((v, n) -> lagLine.append(String.format(Locale.ROOT, " %d: %.0f %%", v, 100.0 * n / pairsTrained)));
        lagLine.append(String.format(Locale.ROOT, "; mean %.2f; %,d skipped as too stale", meanLag(), skippedStale));
        out.add(lagLine.toString());
        double total = 0;
        for (GeneratorFigures g : generators) {
            double rate = g.seconds() > 0 ? g.samples() / g.seconds() : Double.NaN;
            total += rate;
            out.add(String.format(Locale.ROOT, "  generator %s: %.1f samples/s, %.0f tokens/s, decoding %.0f %%, waiting "
                            + "for prompts %.0f %% of %.1f min", g.id(), rate, g.tokens() / g.seconds(),
                    100 * g.decoding() / g.seconds(), 100 * g.waiting() / g.seconds(), g.seconds() / 60));
        }
        if (generators.size() > 1) {
            out.add(String.format(Locale.ROOT, "  generators together: %.1f samples/s", total));
        }
        if (adoptions() > 0) {
            out.add(String.format(Locale.ROOT, "  new version -> generators: verified and loaded %.2f s, first samples "
                    + "%.1f s after it was written (medians of %d adoptions)", medianReadySeconds(),
                    medianFirstSampleSeconds(), adoptions()));
        }
        return out;
    }

    private static double median(List<Double> xs) {
        if (xs.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = xs.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}

package dev.odpo.reliability;

import dev.odpo.kafka.config.KafkaSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * How far each consumer group is behind: for every partition a group has committed, the committed records
 * ({@code read_committed}) after its committed offset. The offsets a transactional consumer never receives —
 * records of aborted transactions and transaction markers — are not lag: a group commits only when it
 * receives records, so a partition that ends in an aborted transaction keeps a gap between the committed and
 * the end offset until the next committed record arrives. {@link #of} counts what is behind; the raw offset
 * gap is in {@link #gap}.
 */
final class GroupLag implements AutoCloseable {

    private final Admin admin;
    private final KafkaConsumer<byte[], byte[]> reader;

    GroupLag(KafkaSettings kafka) {
        this.admin = Admin.create(kafka.common("reliability-lag"));
        Properties p = kafka.rawConsumer("unused", "reliability-lag-reader");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.reader = new KafkaConsumer<>(p);
    }

    /** Lag of each group (committed records behind), summed over its partitions; a group that has committed nothing is absent. */
    Map<String, Long> of(List<String> groups) throws ExecutionException, InterruptedException {
        Map<String, Long> out = new TreeMap<>();
        gap(groups).forEach((group, gaps) -> {
            long behind = 0;
            for (var e : gaps.entrySet()) {
                behind += recordsBetween(e.getKey(), e.getValue()[0], e.getValue()[1]);
            }
            out.put(group, behind);
        });
        return out;
    }

    /** The committed records of a partition from {@code from} up to {@code end} (0 when only aborted ones and markers). */
    private long recordsBetween(TopicPartition tp, long from, long end) {
        if (from >= end) {
            return 0;
        }
        reader.assign(List.of(tp));
        reader.seek(tp, from);
        long n = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (reader.position(tp) < end && System.nanoTime() < deadline) {
            for (var r : reader.poll(Duration.ofMillis(200))) {
                if (r.offset() < end) {
                    n++;
                }
            }
        }
        return reader.position(tp) < end ? Math.max(n, end - reader.position(tp)) : n;
    }

    /** Each group's partitions with {committed offset, last stable offset}, for the partitions where they differ. */
    Map<String, Map<TopicPartition, long[]>> gap(List<String> groups) throws ExecutionException, InterruptedException {
        Map<String, Map<TopicPartition, long[]>> out = new TreeMap<>();
        for (String group : groups) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            committed.values().removeIf(java.util.Objects::isNull);
            if (committed.isEmpty()) {
                continue;
            }
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
            var ends = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
            Map<TopicPartition, long[]> gaps = new HashMap<>();
            for (var e : committed.entrySet()) {
                long end = ends.get(e.getKey()).offset();
                if (end > e.getValue().offset()) {
                    gaps.put(e.getKey(), new long[] {e.getValue().offset(), end});
                }
            }
            out.put(group, gaps);
        }
        return out;
    }

    /**
     * Waits until every group in {@code groups} has committed and is 0 behind, twice in a row {@code settle}
     * apart; returns how long that took, or throws with the last lags seen after {@code timeout}.
     */
    Duration awaitZero(List<String> groups, Duration settle, Duration timeout) throws InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        Map<String, Long> last = Map.of();
        int zeroInARow = 0;
        while (System.nanoTime() < deadline) {
            try {
                last = of(groups);
                boolean zero = last.keySet().containsAll(groups) && last.values().stream().allMatch(l -> l == 0);
                zeroInARow = zero ? zeroInARow + 1 : 0;
                if (zeroInARow >= 2) {
                    return Duration.ofNanos(System.nanoTime() - t0);
                }
            } catch (ExecutionException | org.apache.kafka.common.KafkaException e) {
                zeroInARow = 0;   // the broker is still coming back: ask again
            }
            Thread.sleep(settle.toMillis());
        }
        throw new AssertionError("consumer lag did not return to zero within " + timeout + "; last seen " + last);
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
        reader.close();
    }
}

package dev.odpo.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads what a topic held when the read began — from a start position up to the end offsets taken at the start —
 * with a consumer that joins no group and commits nothing. The one home for "read a topic to its end": the
 * announcements a command lists, the evaluation reports of a history, the recent samples an annotator judges, a
 * demo's summary.
 */
public final class ReadToEnd {

    /** Where each partition's read starts. */
    @FunctionalInterface
    public interface Start {
        /** The offset to start at in each partition, given the partitions' end offsets. */
        Map<TopicPartition, Long> offsets(Consumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end,
                                          Duration timeout);

        /** Every record still retained. */
        Start BEGINNING = (consumer, end, timeout) -> consumer.beginningOffsets(end.keySet(), timeout);

        /** The records with a timestamp at or after {@code epochMillis} (none where there are none). */
        static Start since(long epochMillis) {
            return (consumer, end, timeout) -> {
                Map<TopicPartition, Long> query = new HashMap<>();
                end.keySet().forEach(tp -> query.put(tp, epochMillis));
                Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, timeout);
                Map<TopicPartition, Long> start = new HashMap<>();
                end.forEach((tp, e) -> start.put(tp, found.get(tp) == null ? e : found.get(tp).offset()));
                return start;
            };
        }
    }

    private ReadToEnd() {
    }

    /**
     * Assigns every partition of {@code topic} to {@code consumer}, reads from {@code start} to the end offsets
     * taken now, and hands each record to {@code each}.
     *
     * @return true when every partition reached its end offset within {@code timeout}; false when time ran out
     * @throws IllegalStateException when the topic does not exist
     */
    public static boolean read(Consumer<byte[], byte[]> consumer, String topic, Start start, Duration timeout,
                               java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<TopicPartition> partitions = partitions(consumer, topic, timeout);
        consumer.assign(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
        start.offsets(consumer, end, timeout).forEach(consumer::seek);
        while (!caughtUp(consumer, end)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                each.accept(r);
            }
        }
        return true;
    }

    /**
     * The partitions of {@code topic}.
     *
     * @throws IllegalStateException when the topic does not exist
     */
    public static List<TopicPartition> partitions(Consumer<?, ?> consumer, String topic, Duration timeout) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("topic " + topic + " does not exist (start the services or run 'odpo "
                    + "topics create')");
        }
        return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
    }

    /** Whether the consumer's position has reached {@code end} in every partition. */
    public static boolean caughtUp(Consumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}

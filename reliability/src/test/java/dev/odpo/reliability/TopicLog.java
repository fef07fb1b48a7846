package dev.odpo.reliability;

import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * What a topic holds, as a {@code read_committed} consumer sees it: every committed record from the beginning
 * that decodes with the topic's serdes (records that do not are passed over). Joins no consumer group.
 */
final class TopicLog<V> implements AutoCloseable {

    /** One committed record: where it is and what it says. */
    record Entry<V>(int partition, long offset, String key, V value) {}

    private final Topic<String, V> topic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<Entry<V>> entries = new ArrayList<>();

    private TopicLog(KafkaSettings kafka, Topic<String, V> topic) {
        this.topic = topic;
        Properties p = kafka.rawConsumer("unused-" + UUID.randomUUID(), "reliability-reader");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        this.consumer = new KafkaConsumer<>(p);
        List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
                .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    static <V> TopicLog<V> of(KafkaSettings kafka, Topic<String, V> topic) {
        return new TopicLog<>(kafka, topic);
    }

    /** Reads on until {@code done} holds for what was read, or fails after {@code timeout}. */
    List<Entry<V>> until(Predicate<List<Entry<V>>> done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.test(entries)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " reading " + topic.name() + "; read "
                        + entries.size() + " records");
            }
            poll();
        }
        return List.copyOf(entries);
    }

    /** Reads on until {@code done} holds or {@code timeout} passes; returns what was read either way. */
    List<Entry<V>> within(Duration timeout, Predicate<List<Entry<V>>> done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.test(entries) && System.nanoTime() < deadline) {
            poll();
        }
        return List.copyOf(entries);
    }

    /** Everything committed so far. */
    List<Entry<V>> all() {
        Duration quiet = Duration.ofSeconds(2);
        long lastNew = System.nanoTime();
        while (System.nanoTime() - lastNew < quiet.toNanos()) {
            if (poll() > 0) {
                lastNew = System.nanoTime();
            }
        }
        return List.copyOf(entries);
    }

    private int poll() {
        int n = 0;
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            String key = r.key() == null ? null : new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
            V value;
            try {
                value = r.value() == null ? null : topic.value(r);
            } catch (RuntimeException e) {
                continue;   // a malformed record written on purpose: only what the services wrote is read here
            }
            if (value != null) {
                entries.add(new Entry<>(r.partition(), r.offset(), key, value));
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        consumer.close();
    }
}

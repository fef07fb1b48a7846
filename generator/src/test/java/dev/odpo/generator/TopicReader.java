package dev.odpo.generator;

import static org.awaitility.Awaitility.await;

import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/** Reads a topic from the beginning, as a separate consumer group would, in the given isolation level. */
final class TopicReader<V> implements AutoCloseable {

    private final Topic<String, V> topic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<V> seen = new ArrayList<>();

    TopicReader(KafkaSettings kafka, Topic<String, V> topic, String isolation) {
        this.topic = topic;
        Properties p = kafka.rawConsumer("reader-" + System.nanoTime(), "test-reader");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        this.consumer = new KafkaConsumer<>(p);
        consumer.subscribe(List.of(topic.name()));
    }

    static <V> TopicReader<V> committed(KafkaSettings kafka, Topic<String, V> topic) {
        return new TopicReader<>(kafka, topic, "read_committed");
    }

    /** Polls once; returns everything read so far, in the order read. */
    List<V> poll() {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            seen.add(topic.valueSerde().deserializer().deserialize(r.topic(), r.headers(), r.value()));
        }
        return List.copyOf(seen);
    }

    /** Polls until {@code done} holds for what was read, or fails after {@code timeout}. */
    List<V> until(Predicate<List<V>> done, Duration timeout) {
        return await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(this::poll, done);
    }

    /** Polls for {@code quiet} more and returns everything read. */
    List<V> drain(Duration quiet) {
        long end = System.nanoTime() + quiet.toNanos();
        while (System.nanoTime() < end) {
            poll();
        }
        return List.copyOf(seen);
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}

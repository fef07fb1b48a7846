package dev.odpo.kafka;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * What one batch produced — output records, dead letters, the offsets it consumed up to — which a
 * {@link Delivery} makes durable together, and the counts the loop reports once it is.
 */
final class BatchOutcome {

    private final List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>();
    private final List<Rejection> deadLetters = new ArrayList<>();
    private final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    private int consumed;
    private int handled;

    /** The record is dealt with (handled, dead-lettered or skipped): its offset may be committed with the batch. */
    void consumed(ConsumerRecord<byte[], byte[]> raw) {
        offsets.put(new TopicPartition(raw.topic(), raw.partition()), new OffsetAndMetadata(raw.offset() + 1));
        consumed++;
    }

    void deadLetter(Rejection rejection) {
        deadLetters.add(rejection);
    }

    /** Adds the output of a handler call that returned. */
    void add(BufferedOutput<?, ?> call) {
        outputs.addAll(call.sends());
        deadLetters.addAll(call.rejections());
        handled += call.served();
    }

    List<ProducerRecord<byte[], byte[]>> outputs() {
        return outputs;
    }

    List<Rejection> deadLetters() {
        return deadLetters;
    }

    /** The next offset to consume in each partition the batch read; empty if it consumed nothing. */
    Map<TopicPartition, OffsetAndMetadata> offsets() {
        return Map.copyOf(offsets);
    }

    int consumedCount() {
        return consumed;
    }

    int handledCount() {
        return handled;
    }
}

package dev.odpo.kafka;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The output of one handler call, held in memory until the call returns: the loop publishes it only if the
 * call succeeded, so a call that throws leaves nothing behind and can be run again. Held per batch, it is
 * bounded by the batch size.
 */
final class BufferedOutput<K, V> implements BatchHandler.Output<K, V> {

    private record Position(TopicPartition partition, long offset) {
        static Position of(ConsumerRecord<?, ?> r) {
            return new Position(new TopicPartition(r.topic(), r.partition()), r.offset());
        }
    }

    private final List<ConsumerRecord<K, V>> records = new ArrayList<>();
    private final Map<Position, ConsumerRecord<byte[], byte[]>> raws = new HashMap<>();
    private final List<ProducerRecord<byte[], byte[]>> sends = new ArrayList<>();
    private final Map<Position, Rejection> rejections = new LinkedHashMap<>();
    private boolean closed;

    BufferedOutput(List<DecodedRecord<K, V>> batch) {
        for (DecodedRecord<K, V> d : batch) {
            records.add(d.record());
            raws.put(Position.of(d.raw()), d.raw());
        }
    }

    /** The decoded records of this call, for the handler. */
    List<ConsumerRecord<K, V>> records() {
        return List.copyOf(records);
    }

    @Override
    public <K2, V2> void send(Topic<K2, V2> topic, K2 key, V2 value) {
        ensureOpen();
        byte[] keyBytes = key == null ? null : topic.keySerde().serializer().serialize(topic.name(), key);
        byte[] valueBytes = value == null ? null : topic.valueSerde().serializer().serialize(topic.name(), value);
        sends.add(new ProducerRecord<>(topic.name(), keyBytes, valueBytes));
    }

    @Override
    public void reject(ConsumerRecord<K, V> record, String reason) {
        rejections.putIfAbsent(Position.of(record), Rejection.invalid(raw(record), reason));
    }

    @Override
    public void reject(ConsumerRecord<K, V> record, Throwable error) {
        rejections.putIfAbsent(Position.of(record), Rejection.of(raw(record), error));
    }

    private ConsumerRecord<byte[], byte[]> raw(ConsumerRecord<K, V> record) {
        ensureOpen();
        ConsumerRecord<byte[], byte[]> raw = raws.get(Position.of(record));
        if (raw == null) {
            throw new IllegalArgumentException("cannot reject " + record.topic() + "[" + record.partition() + "]@"
                    + record.offset() + ": it is not one of the records this handler call was given");
        }
        return raw;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("a batch's output is usable only while the handler call runs");
        }
    }

    /** Ends the handler call: later sends and rejections fail. */
    void close() {
        closed = true;
    }

    List<ProducerRecord<byte[], byte[]>> sends() {
        return sends;
    }

    List<Rejection> rejections() {
        return List.copyOf(rejections.values());
    }

    /** How many of the call's records were served, not rejected. */
    int served() {
        return records.size() - rejections.size();
    }
}

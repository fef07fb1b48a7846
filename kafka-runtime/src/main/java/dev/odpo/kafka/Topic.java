package dev.odpo.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;

/**
 * One topic, declared once: its name, the serdes of its keys and values, its partition count and the
 * retention rules odpo creates it with. Call sites read and write through it, never by bare name.
 *
 * @param name          the full name, prefix included (odpo.prompts)
 * @param keySerde      serde of the record keys
 * @param valueSerde    serde of the record values (Avro, Confluent wire format)
 * @param partitions    partition count; every per-prompt topic has the same one (co-partitioned)
 * @param cleanupPolicy Kafka cleanup.policy: "delete", "compact" or "compact,delete"
 * @param retention     how long records are kept; {@link #FOREVER} keeps them forever (retention.ms=-1)
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde, int partitions,
                          String cleanupPolicy, Duration retention) {

    /** Retention that never deletes by age (Kafka's retention.ms=-1). */
    public static final Duration FOREVER = Duration.ofMillis(-1);

    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keySerde, "keySerde");
        Objects.requireNonNull(valueSerde, "valueSerde");
        Objects.requireNonNull(cleanupPolicy, "cleanupPolicy");
        Objects.requireNonNull(retention, "retention");
        if (partitions < 1) {
            throw new IllegalArgumentException("topic " + name + ": partitions must be at least 1, was " + partitions);
        }
        if (!cleanupPolicy.equals("delete") && !cleanupPolicy.equals("compact") && !cleanupPolicy.equals("compact,delete")) {
            throw new IllegalArgumentException("topic " + name + ": cleanup policy must be delete, compact or compact,delete, was "
                    + cleanupPolicy);
        }
    }

    /** retention.ms as Kafka expects it: -1 for forever. */
    public long retentionMs() {
        return retention.isNegative() ? -1 : retention.toMillis();
    }

    public boolean isCompacted() {
        return cleanupPolicy.contains("compact");
    }

    /** A record for this topic, key and value serialized with its serdes (Confluent's wire format for Avro). */
    public ProducerRecord<byte[], byte[]> record(K key, V value) {
        return record(null, key, value);
    }

    /** The same, for a chosen partition (null: the producer's partitioner decides from the key). */
    public ProducerRecord<byte[], byte[]> record(Integer partition, K key, V value) {
        return new ProducerRecord<>(name, partition, key == null ? null : keySerde.serializer().serialize(name, key),
                value == null ? null : valueSerde.serializer().serialize(name, value));
    }

    /**
     * The value of a raw record of this topic, decoded with its serde.
     *
     * @throws org.apache.kafka.common.errors.SerializationException when the bytes do not decode
     */
    public V value(ConsumerRecord<byte[], byte[]> raw) {
        return valueSerde.deserializer().deserialize(raw.topic(), raw.headers(), raw.value());
    }

    /** The topic-level configs odpo creates the topic with. */
    public Map<String, String> configs() {
        return Map.of("cleanup.policy", cleanupPolicy, "retention.ms", Long.toString(retentionMs()));
    }

    @Override
    public String toString() {
        return name;
    }
}

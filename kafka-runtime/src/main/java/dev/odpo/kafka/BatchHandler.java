package dev.odpo.kafka;

import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The service's work on a poll's worth of valid, decoded records at once — one batched decode, one
 * forward pass — for a {@link ConsumerLoop} built with {@link ConsumerLoop#exactlyOnce}.
 *
 * <p>What the handler produces goes through {@link Output}, never through a producer of its own: the loop
 * publishes a call's output only when the call returns, together with the dead letters and the consumed
 * offsets of the batch (in one Kafka transaction in exactly-once mode). A call that throws leaves nothing
 * behind, so the loop can run the handler again: when a whole batch fails, it serves each record alone and
 * dead-letters only the records that fail alone, with the exception as the reason.
 *
 * @param <K> key type of the input topic
 * @param <V> value type of the input topic
 */
@FunctionalInterface
public interface BatchHandler<K, V> {

    /**
     * Handles the records, in the order of their partitions and offsets.
     *
     * @param records at most the loop's batch size, each decoded and checked by the loop's {@link RecordCheck}
     * @param out     where this call's output records and rejections go; valid only during this call
     */
    void handle(List<ConsumerRecord<K, V>> records, Output<K, V> out);

    /** What one handler call produces: records for other topics, and records of its batch it rejects. */
    interface Output<K, V> {

        /**
         * Publishes a record to {@code topic}, serialized with the topic's serdes (Confluent wire format), once
         * this call returns. A serializer error is thrown here, so it fails the call, not the batch's commit.
         */
        <K2, V2> void send(Topic<K2, V2> topic, K2 key, V2 value);

        /**
         * Dead-letters one record of this call's batch, with error class {@value DeadLetters#INVALID_RECORD}
         * and {@code reason}; the other records are served. Rejecting a record twice keeps the first reason.
         *
         * @throws IllegalArgumentException if the record is not one of this call's records
         */
        void reject(ConsumerRecord<K, V> record, String reason);

        /** Dead-letters one record of this call's batch for an error, naming its class and message. */
        void reject(ConsumerRecord<K, V> record, Throwable error);
    }
}

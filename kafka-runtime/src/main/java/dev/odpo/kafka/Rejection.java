package dev.odpo.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A consumed record bound for the dead-letter topic, held until its batch is published.
 *
 * @param source     the record as consumed, raw bytes
 * @param errorClass the kind of failure ({@link DeadLetters#errorClass}), or {@value DeadLetters#INVALID_RECORD}
 * @param reason     what was wrong, for a person reading the dead-letter topic
 */
record Rejection(ConsumerRecord<byte[], byte[]> source, String errorClass, String reason) {

    /** A record that decoded but is unusable. */
    static Rejection invalid(ConsumerRecord<byte[], byte[]> source, String reason) {
        return new Rejection(source, DeadLetters.INVALID_RECORD, reason);
    }

    /** A record that failed with an error, named by its kind ({@link DeadLetters#errorClass}). */
    static Rejection of(ConsumerRecord<byte[], byte[]> source, Throwable error) {
        return error instanceof InvalidRecordException
                ? invalid(source, error.getMessage())
                : new Rejection(source, DeadLetters.errorClass(error), DeadLetters.reason(error));
    }

    void sendTo(DeadLetters deadLetters) {
        deadLetters.send(source, errorClass, reason);
    }
}

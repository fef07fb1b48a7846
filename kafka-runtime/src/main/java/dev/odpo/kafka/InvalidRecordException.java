package dev.odpo.kafka;

/**
 * A record that decoded but cannot be processed (empty text, missing id, ...). The consumer loop sends it
 * to the dead-letter topic with this message as the reason and goes on with the next record.
 */
public final class InvalidRecordException extends RuntimeException {

    public InvalidRecordException(String reason) {
        super(reason);
    }
}

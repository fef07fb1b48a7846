package dev.odpo.registry.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * The schema registry could not be reached or failed (no answer, HTTP 5xx): the record itself may be fine.
 * A consumer should retry the record later rather than dead-letter it; other {@link SerializationException}s
 * mean the bytes themselves cannot be decoded.
 */
public class RegistryUnavailableException extends SerializationException {

    public RegistryUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}

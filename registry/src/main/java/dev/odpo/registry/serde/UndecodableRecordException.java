package dev.odpo.registry.serde;

import java.util.Objects;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Bytes that cannot be decoded into the expected event, with the kind of failure: what a dead letter names as
 * its reason's kind, so that operators and tests can tell a foreign producer (not framed) from a missing schema
 * from a corrupt record without reading the message.
 */
public class UndecodableRecordException extends SerializationException {

    /** Why a record could not be decoded. */
    public enum Kind {
        /** Not in Confluent's wire format: shorter than the 5-byte header or a magic byte other than 0. */
        NOT_FRAMED("NotFramed"),
        /** The frame names a schema id the registry does not know. */
        UNKNOWN_SCHEMA("UnknownSchema"),
        /** The writer schema cannot be read as the expected event (another record type, or unresolvable fields). */
        INCOMPATIBLE_SCHEMA("IncompatibleSchema"),
        /** The Avro bytes do not decode with the writer schema: truncated, trailing bytes, invalid lengths. */
        CORRUPT_DATA("CorruptData");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** The name a dead letter's error class carries, e.g. "UnknownSchema". */
        public String label() {
            return label;
        }
    }

    private final Kind kind;

    public UndecodableRecordException(Kind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public UndecodableRecordException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }
}

package dev.odpo.registry.serde;

import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Confluent's framing of a serialized record: byte 0 is the magic byte 0, bytes 1..4 the schema id as a
 * big-endian int32, then the Avro binary encoding of the datum written with that schema.
 */
public final class WireFormat {

    public static final byte MAGIC_BYTE = 0x0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    /** The schema id in a framed record; a clear {@link UndecodableRecordException} ({@code NOT_FRAMED}) if the bytes are not framed. */
    public static int schemaId(byte[] data) {
        if (data.length < HEADER_SIZE) {
            throw new UndecodableRecordException(UndecodableRecordException.Kind.NOT_FRAMED,
                    "Not in Confluent wire format: " + data.length
                    + " bytes, shorter than the 5-byte header (magic byte 0 + int32 schema id)");
        }
        if (data[0] != MAGIC_BYTE) {
            throw new UndecodableRecordException(UndecodableRecordException.Kind.NOT_FRAMED,
                    String.format("Not in Confluent wire format: magic byte is 0x%02x, expected 0x00",
                    data[0] & 0xff));
        }
        return ByteBuffer.wrap(data, 1, 4).getInt();
    }

    /** The 5-byte header for {@code schemaId}. */
    public static byte[] header(int schemaId) {
        return ByteBuffer.allocate(HEADER_SIZE).put(MAGIC_BYTE).putInt(schemaId).array();
    }
}

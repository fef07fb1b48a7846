package dev.odpo.reliability;

import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.registry.client.SchemaRegistryClient;
import dev.odpo.registry.client.SchemaRegistryClients;
import dev.odpo.registry.serde.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Writes malformed and valid events to the loop's topics, raw, and remembers for each malformed one what the
 * services that consume it must do with it: which service dead-letters it, and with which kind.
 */
final class Corpus implements AutoCloseable {

    /** Text that Avro decodes to U+FFFD: bytes that are not UTF-8, written in place of a marker. */
    static final String UTF8_MARKER = "QQQQ";
    private static final byte[] NOT_UTF8 = {(byte) 0xC3, (byte) 0x28, (byte) 0xA0, (byte) 0xA1};

    /**
     * A malformed record and what must become of it.
     *
     * @param kinds the error class each consuming service must dead-letter it with, by service
     */
    record Bad(String topic, long offset, String what, Map<String, String> kinds) {}

    private final KafkaProducer<byte[], byte[]> producer;
    private final SchemaRegistryClient registry;
    private final List<Bad> bad = new ArrayList<>();

    Corpus(KafkaSettings kafka) {
        this.producer = new KafkaProducer<>(kafka.rawProducer("reliability-corpus"));
        this.registry = SchemaRegistryClients.fromConfig(kafka.serdeConfig());
    }

    List<Bad> bad() {
        return List.copyOf(bad);
    }

    /** Sends a valid event; returns its offset. */
    <V> long valid(Topic<String, V> topic, String key, V value) {
        return send(topic.name(), key, topic.valueSerde().serializer().serialize(topic.name(), value));
    }

    /** Sends raw bytes that must be dead-lettered with {@code kinds} (by service). */
    long bad(String topic, String key, byte[] value, String what, Map<String, String> kinds) {
        long offset = send(topic, key, value);
        bad.add(new Bad(topic, offset, what, kinds));
        return offset;
    }

    /** A decodable event that must be dead-lettered with {@code kinds}. */
    <V> long bad(Topic<String, V> topic, String key, V value, String what, Map<String, String> kinds) {
        return bad(topic.name(), key, topic.valueSerde().serializer().serialize(topic.name(), value), what, kinds);
    }

    /**
     * Every way the bytes of an event can be unreadable, each sent between nothing in particular: a wrong magic
     * byte, a frame too short, an unknown schema id, truncated Avro, a writer schema whose field the reader
     * cannot resolve, a writer schema lacking the required fields, and (where the topic is not compacted) no value.
     *
     * @param services the services consuming {@code topic} that dead-letter what they cannot decode
     */
    <V extends SpecificRecord> void undecodable(Topic<String, V> topic, String key, V example, List<String> services) {
        byte[] good = topic.valueSerde().serializer().serialize(topic.name(), example);
        byte[] wrongMagic = good.clone();
        wrongMagic[0] = 1;
        bad(topic.name(), key, wrongMagic, "wrong magic byte", each(services, "NotFramed"));
        bad(topic.name(), key, new byte[] {0, 0}, "shorter than the frame", each(services, "NotFramed"));
        byte[] unknownId = good.clone();
        ByteBuffer.wrap(unknownId, 1, 4).putInt(987_654);
        bad(topic.name(), key, unknownId, "unknown schema id", each(services, "UnknownSchema"));
        bad(topic.name(), key, Arrays.copyOf(good, good.length / 2), "truncated Avro", each(services, "CorruptData"));
        Schema reader = example.getSchema();
        Schema.Field first = reader.getFields().get(0);
        bad(topic.name(), key, rogue(reader, first.name(), Schema.create(Schema.Type.INT), 7),
                "writer schema the reader cannot resolve (" + first.name() + " is an int)", each(services, "IncompatibleSchema"));
        bad(topic.name(), key, rogue(reader, "unrelated", Schema.createUnion(Schema.create(Schema.Type.NULL),
                        Schema.create(Schema.Type.INT)), null),
                "writer schema without the required fields", each(services, "IncompatibleSchema"));
        if (!topic.isCompacted()) {
            bad(topic.name(), key, null, "no value", each(services, "InvalidRecord"));
        }
    }

    /** The event's bytes with the marker text replaced by bytes that are not UTF-8. */
    static byte[] withInvalidUtf8(byte[] encoded) {
        byte[] marker = UTF8_MARKER.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i + marker.length <= encoded.length; i++) {
            if (Arrays.equals(encoded, i, i + marker.length, marker, 0, marker.length)) {
                byte[] out = encoded.clone();
                System.arraycopy(NOT_UTF8, 0, out, i, NOT_UTF8.length);
                return out;
            }
        }
        throw new IllegalArgumentException("the marker " + UTF8_MARKER + " is not in the event");
    }

    static Map<String, String> each(List<String> services, String kind) {
        Map<String, String> out = new java.util.TreeMap<>();
        services.forEach(s -> out.put(s, kind));
        return out;
    }

    /**
     * A record framed with a registered writer schema of the same full name as {@code reader} but holding one
     * field, {@code field} of {@code type}, set to {@code value}. Registered under a subject of its own, as a
     * misconfigured producer would.
     */
    private byte[] rogue(Schema reader, String field, Schema type, Object value) {
        Schema writer = Schema.createRecord(reader.getName(), null, reader.getNamespace(), false,
                List.of(new Schema.Field(field, type, null, (Object) null)));
        int id = registry.register("rogue-" + reader.getName() + "-" + field + "-value", writer);
        GenericRecord r = new GenericData.Record(writer);
        r.put(field, value);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            out.write(WireFormat.header(id));
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<GenericRecord>(writer).write(r, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private long send(String topic, String key, byte[] value) {
        try {
            RecordMetadata m = producer.send(new ProducerRecord<>(topic, 0,
                    key == null ? null : key.getBytes(StandardCharsets.UTF_8), value)).get();
            return m.offset();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not write to " + topic, e.getCause());
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}

package dev.odpo.registry.serde;

import dev.odpo.registry.client.SchemaMetadata;
import dev.odpo.registry.client.SchemaRegistryClient;
import dev.odpo.registry.client.SchemaRegistryClients;
import dev.odpo.registry.client.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro SpecificRecords in Confluent's wire format ({@link WireFormat}) under the TopicNameStrategy
 * subject {@code <topic>-value} (or {@code <topic>-key}), so Confluent's own deserializers in any language read them.
 *
 * <p>Settings: {@code schema.registry.url} (required), {@code auto.register.schemas} (default true; when false the
 * record's exact schema must already be registered under the subject, or with {@code use.latest.version=true}
 * the subject's latest schema is used as the writer schema), basic auth as in {@link SchemaRegistryClients},
 * {@code max.schemas.per.subject} (cache bound, default 1000).
 */
public class SpecificAvroSerializer<T extends SpecificRecord> implements Serializer<T> {

    /** How records of one schema are written to one subject; the writer is reused (it keeps no per-call state). */
    private record WritePlan(int id, Schema writerSchema, boolean convert, DatumWriter<Object> writer) {
        WritePlan(int id, Schema writerSchema, boolean convert) {
            this(id, writerSchema, convert, convert
                    ? new GenericDatumWriter<>(writerSchema, GenericData.get())
                    : new SpecificDatumWriter<>(writerSchema, SpecificData.getForSchema(writerSchema)));
        }
    }

    private record PlanKey(String subject, Schema schema) {
    }

    private SchemaRegistryClient client;
    private SerdeConfig config;
    private boolean isKey;
    private BoundedCache<PlanKey, WritePlan> plans;

    /** Configure with {@link #configure} before use. */
    public SpecificAvroSerializer() {
    }

    /** Uses {@code client} instead of building one from {@code schema.registry.url}. */
    public SpecificAvroSerializer(SchemaRegistryClient client) {
        this.client = client;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.config = SerdeConfig.parse(configs);
        this.isKey = isKey;
        if (client == null) {
            client = SchemaRegistryClients.fromConfig(configs);
        }
        this.plans = new BoundedCache<>(config.cacheCapacity());
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        if (plans == null) {
            throw new IllegalStateException("SpecificAvroSerializer used before configure(): set schema.registry.url");
        }
        String subject = topic + (isKey ? "-key" : "-value");
        Schema schema = record.getSchema();
        WritePlan plan;
        try {
            plan = plans.get(new PlanKey(subject, schema), k -> plan(k.subject(), k.schema()));
        } catch (SchemaRegistryException e) {
            if (e.isUnavailable()) {
                throw new RegistryUnavailableException("Cannot serialize " + schema.getFullName() + " to subject " + subject
                        + ": the registry is unavailable: " + e.getMessage(), e);
            }
            throw new SerializationException("Cannot serialize " + schema.getFullName() + " to subject " + subject + ": "
                    + e.getMessage() + " (registry error_code " + e.errorCode() + ")", e);
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            out.write(WireFormat.header(plan.id()));
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            if (plan.convert()) {
                plan.writer().write(convert(record, SpecificData.getForClass(record.getClass()), plan.writerSchema()), encoder);
            } else {
                plan.writer().write(record, encoder);
            }
            encoder.flush();
            return out.toByteArray();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("Cannot serialize " + schema.getFullName() + " for topic " + topic + ": " + e, e);
        }
    }

    private WritePlan plan(String subject, Schema schema) {
        if (config.autoRegister()) {
            return new WritePlan(client.register(subject, schema), schema, false);
        }
        if (config.useLatestVersion()) {
            SchemaMetadata latest = client.latest(subject);
            Schema latestSchema = new Schema.Parser().parse(latest.schema());
            if (latestSchema.equals(schema)) {
                return new WritePlan(latest.id(), schema, false);
            }
            if (SchemaCompatibility.checkReaderWriterCompatibility(latestSchema, schema).getType()
                    != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                throw new SerializationException("use.latest.version: the latest schema of " + subject + " (id " + latest.id()
                        + ", version " + latest.version() + ") cannot represent a " + schema.getFullName() + " record");
            }
            return new WritePlan(latest.id(), latestSchema, true);
        }
        try {
            return new WritePlan(client.lookup(subject, schema).id(), schema, false);
        } catch (SchemaRegistryException e) {
            if (e.errorCode() == SchemaRegistryException.SUBJECT_NOT_FOUND || e.errorCode() == SchemaRegistryException.SCHEMA_NOT_FOUND) {
                throw new SchemaRegistryException(e.errorCode(), "schema of " + schema.getFullName() + " is not registered under "
                        + subject + " and auto.register.schemas=false", e);
            }
            throw e;
        }
    }

    /** Re-expresses a record in another (compatible) schema via Avro schema resolution. */
    private static GenericRecord convert(SpecificRecord record, SpecificData model, Schema target) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(buf, null);
        new SpecificDatumWriter<SpecificRecord>(record.getSchema(), model).write(record, enc);
        enc.flush();
        return new GenericDatumReader<GenericRecord>(record.getSchema(), target, GenericData.get())
                .read(null, DecoderFactory.get().binaryDecoder(buf.toByteArray(), null));
    }

    @Override
    public void close() {
        // The client holds no resources that need closing; a mock:// scope outlives its serdes on purpose.
    }
}

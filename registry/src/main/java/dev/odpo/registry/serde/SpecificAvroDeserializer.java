package dev.odpo.registry.serde;

import dev.odpo.registry.client.SchemaRegistryClient;
import dev.odpo.registry.client.SchemaRegistryClients;
import dev.odpo.registry.client.SchemaRegistryException;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent-framed Avro into {@code T}: the writer schema is fetched by the id in the frame (and cached),
 * then resolved to {@code T}'s schema, so records written with an older or newer compatible schema decode.
 * Anything that cannot be decoded (not framed, unknown schema id, corrupt or trailing bytes, a schema T cannot
 * read) throws {@link UndecodableRecordException} saying why and of which kind, for the caller to dead-letter.
 */
public class SpecificAvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

    private final Class<T> type;
    private final Schema readerSchema;
    private final SpecificData model;
    private SchemaRegistryClient client;
    private BoundedCache<Integer, SpecificDatumReader<T>> readers;
    private String registryUrl = "the registry";

    public SpecificAvroDeserializer(Class<T> type) {
        this.type = Objects.requireNonNull(type, "type");
        this.model = SpecificData.getForClass(type);
        this.readerSchema = model.getSchema(type);
    }

    /** Uses {@code client} instead of building one from {@code schema.registry.url}. */
    public SpecificAvroDeserializer(Class<T> type, SchemaRegistryClient client) {
        this(type);
        this.client = client;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        SerdeConfig config = SerdeConfig.parse(configs);
        if (client == null) {
            client = SchemaRegistryClients.fromConfig(configs);
        }
        Object url = configs.get(SchemaRegistryClients.URL);
        if (url != null) {
            // Never echo credentials given as user:password@ in the URL into error messages and logs.
            registryUrl = url.toString().replaceAll("//[^/@,]*@", "//");
        }
        readers = new BoundedCache<>(config.cacheCapacity());
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (readers == null) {
            throw new IllegalStateException("SpecificAvroDeserializer used before configure(): set schema.registry.url");
        }
        int id = WireFormat.schemaId(data);
        SpecificDatumReader<T> reader;
        try {
            reader = readers.get(id, this::readerFor);
        } catch (SchemaRegistryException e) {
            if (e.isUnavailable()) {
                throw new RegistryUnavailableException("Cannot deserialize a record of topic " + topic + ": schema id " + id
                        + " could not be fetched, the registry is unavailable: " + e.getMessage(), e);
            }
            if (e.errorCode() == SchemaRegistryException.SCHEMA_NOT_FOUND) {
                throw new UndecodableRecordException(UndecodableRecordException.Kind.UNKNOWN_SCHEMA,
                        "Cannot deserialize a record of topic " + topic + ": unknown schema id " + id + " (not in "
                                + registryUrl + ")", e);
            }
            throw new SerializationException("Cannot deserialize a record of topic " + topic + ": cannot fetch schema id "
                    + id + " from " + registryUrl + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new UndecodableRecordException(UndecodableRecordException.Kind.INCOMPATIBLE_SCHEMA, "Cannot deserialize a record of topic " + topic + " as " + type.getSimpleName()
                    + ": writer schema " + id + " cannot be read as " + readerSchema.getFullName() + ": " + e.getMessage(), e);
        }
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, WireFormat.HEADER_SIZE,
                    data.length - WireFormat.HEADER_SIZE, null);
            T value = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new IOException("trailing bytes after the record");
            }
            return value;
        } catch (IOException | RuntimeException e) {
            throw new UndecodableRecordException(UndecodableRecordException.Kind.CORRUPT_DATA, "Cannot deserialize a record of topic " + topic + " as " + type.getSimpleName()
                    + " (schema id " + id + ", " + data.length + " bytes): corrupt Avro data: " + e, e);
        }
    }

    private SpecificDatumReader<T> readerFor(int id) {
        Schema writer = client.getById(id);
        if (!writer.getFullName().equals(readerSchema.getFullName())
                && !readerSchema.getAliases().contains(writer.getFullName())) {
            throw new IllegalArgumentException("it is a " + writer.getFullName() + ", not a " + readerSchema.getFullName());
        }
        // Resolve now, not at the first read: a writer schema this reader cannot resolve is a schema problem,
        // not corrupt bytes.
        SchemaCompatibility.SchemaPairCompatibility compatibility =
                SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writer);
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            throw new IllegalArgumentException(compatibility.getResult().getIncompatibilities().stream()
                    .map(i -> i.getType() + " at " + i.getLocation() + ": " + i.getMessage())
                    .collect(java.util.stream.Collectors.joining("; ")));
        }
        return new SpecificDatumReader<>(writer, readerSchema, model);
    }

    @Override
    public void close() {
    }
}

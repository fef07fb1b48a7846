package dev.odpo.registry.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.odpo.events.Prompt;
import dev.odpo.events.Sample;
import dev.odpo.registry.client.MockSchemaRegistry;
import dev.odpo.registry.client.SchemaRegistryClient;
import dev.odpo.registry.testing.EventFixtures;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SpecificAvroSerdeTest {

    private static final String SCOPE = "serde-test";
    private static final Map<String, Object> CONFIG = Map.of("schema.registry.url", "mock://" + SCOPE);

    @AfterEach
    void dropRegistry() {
        MockSchemaRegistry.dropScope(SCOPE);
    }

    static Stream<Class<? extends SpecificRecord>> events() {
        return EventFixtures.EVENTS.stream();
    }

    @ParameterizedTest
    @MethodSource("events")
    <T extends SpecificRecord> void everyEventSurvivesARoundTrip(Class<T> type) {
        T event = EventFixtures.populated(type, 3);
        SpecificAvroSerde<T> serde = new SpecificAvroSerde<>(type).configured(CONFIG, false);

        byte[] bytes = serde.serializer().serialize("odpo.events", event);
        T back = serde.deserializer().deserialize("odpo.events", bytes);

        assertThat(back).isEqualTo(event);
        assertThat(back).isNotSameAs(event);
    }

    @Test
    void fixturesCoverEveryRecordSchemaInTheSchemasModule() throws Exception {
        Path avro = Path.of("..", "schemas", "src", "main", "avro");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(avro), "schemas sources not next to this module");
        Set<String> records;
        try (Stream<Path> files = Files.list(avro)) {
            records = files.filter(p -> p.toString().endsWith(".avsc"))
                    .map(p -> p.getFileName().toString().replace(".avsc", "")).collect(Collectors.toSet());
        }
        assertThat(EventFixtures.EVENTS.stream().map(Class::getSimpleName)).containsExactlyInAnyOrderElementsOf(records);
    }

    @Test
    void bytesFollowConfluentsWireFormat() throws Exception {
        Prompt prompt = prompt("p-1");
        SchemaRegistryClient registry = MockSchemaRegistry.forScope(SCOPE);
        SpecificAvroSerializer<Prompt> serializer = new SpecificAvroSerializer<>();
        serializer.configure(CONFIG, false);

        byte[] bytes = serializer.serialize("odpo.prompts", prompt);

        int id = registry.lookup("odpo.prompts-value", Prompt.getClassSchema()).id();
        ByteArrayOutputStream avro = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(avro, null);
        new SpecificDatumWriter<Prompt>(Prompt.getClassSchema(), SpecificData.getForClass(Prompt.class)).write(prompt, enc);
        enc.flush();
        assertThat(bytes[0]).isEqualTo((byte) 0);
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
        assertThat(Arrays.copyOfRange(bytes, 5, bytes.length)).isEqualTo(avro.toByteArray());
        // Avro binary starts with the first field: prompt_id as a zig-zag length (3 -> 6) and its UTF-8 bytes.
        assertThat(Arrays.copyOfRange(bytes, 5, 9)).containsExactly(6, 'p', '-', '1');
    }

    @Test
    void subjectsFollowTopicNameStrategyAndTheSameSchemaKeepsItsId() {
        SchemaRegistryClient registry = MockSchemaRegistry.forScope(SCOPE);
        SpecificAvroSerializer<Prompt> values = new SpecificAvroSerializer<>();
        values.configure(CONFIG, false);
        SpecificAvroSerializer<Prompt> keys = new SpecificAvroSerializer<>();
        keys.configure(CONFIG, true);

        byte[] a = values.serialize("topic-a", prompt("1"));
        byte[] b = values.serialize("topic-b", prompt("2"));
        keys.serialize("topic-a", prompt("3"));

        assertThat(registry.subjects()).containsExactly("topic-a-key", "topic-a-value", "topic-b-value");
        assertThat(WireFormat.schemaId(a)).isEqualTo(WireFormat.schemaId(b));
    }

    @Test
    void theMockRegistryEnforcesCompatibilityLikeTheServer() {
        // Given the subject already holds a Sample schema
        MockSchemaRegistry.forScope(SCOPE).register("mixed-value", Sample.getClassSchema());
        SpecificAvroSerializer<Prompt> serializer = new SpecificAvroSerializer<>();
        serializer.configure(CONFIG, false);

        // Then a Prompt cannot be auto-registered there under BACKWARD
        assertThatThrownBy(() -> serializer.serialize("mixed", prompt("1")))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("incompatible").hasMessageContaining("error_code 409");
    }

    @Test
    void withoutAutoRegisterAnUnregisteredSchemaIsRefusedAndARegisteredOneIsLookedUp() {
        Map<String, Object> config = new HashMap<>(CONFIG);
        config.put("auto.register.schemas", "false");
        SpecificAvroSerializer<Prompt> serializer = new SpecificAvroSerializer<>();
        serializer.configure(config, false);

        assertThatThrownBy(() -> serializer.serialize("odpo.prompts", prompt("1")))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("not registered under odpo.prompts-value")
                .hasMessageContaining("auto.register.schemas=false");

        int id = MockSchemaRegistry.forScope(SCOPE).register("odpo.prompts-value", Prompt.getClassSchema());
        SpecificAvroSerializer<Prompt> again = new SpecificAvroSerializer<>();
        again.configure(config, false);
        assertThat(WireFormat.schemaId(again.serialize("odpo.prompts", prompt("1")))).isEqualTo(id);
    }

    @Test
    void useLatestVersionWritesWithTheSubjectsNewestSchema() {
        // Given the subject's latest schema is a newer Prompt with an extra optional field
        Schema newer = withExtraField(Prompt.getClassSchema(), "language", "\"en\"");
        SchemaRegistryClient registry = MockSchemaRegistry.forScope(SCOPE);
        registry.register("odpo.prompts-value", Prompt.getClassSchema());
        int newerId = registry.register("odpo.prompts-value", newer);
        Map<String, Object> config = new HashMap<>(CONFIG);
        config.put("auto.register.schemas", false);
        config.put("use.latest.version", true);
        SpecificAvroSerde<Prompt> serde = new SpecificAvroSerde<>(Prompt.class).configured(config, false);

        // When a current Prompt is written
        byte[] bytes = serde.serializer().serialize("odpo.prompts", prompt("x"));

        // Then it carries the newest id, and still reads back as the Prompt it was
        assertThat(WireFormat.schemaId(bytes)).isEqualTo(newerId);
        assertThat(serde.deserializer().deserialize("odpo.prompts", bytes)).isEqualTo(prompt("x"));
    }

    @Test
    void recordsWrittenWithAnOlderSchemaResolveToTheCurrentClass() throws Exception {
        // Given a Prompt written by an older producer whose schema lacked the optional "metadata" field
        Schema older = withoutField(Prompt.getClassSchema(), "metadata");
        int id = MockSchemaRegistry.forScope(SCOPE).register("odpo.prompts-value", older);
        GenericRecord old = new GenericData.Record(older);
        old.put("prompt_id", "old-1");
        old.put("created_at", 1_000L);
        old.put("text", "2+2?");
        byte[] bytes = frame(id, older, old);
        SpecificAvroDeserializer<Prompt> deserializer = new SpecificAvroDeserializer<>(Prompt.class);
        deserializer.configure(CONFIG, false);

        // When today's deserializer reads it
        Prompt prompt = deserializer.deserialize("odpo.prompts", bytes);

        // Then the missing field takes its default
        assertThat(prompt.getPromptId()).isEqualTo("old-1");
        assertThat(prompt.getCreatedAt()).isEqualTo(Instant.ofEpochMilli(1_000L));
        assertThat(prompt.getMetadata()).isEmpty();
        assertThat(prompt.getSystem()).isNull();
    }

    @Test
    void undecodableBytesFailWithAClearSerializationException() {
        SpecificAvroSerde<Prompt> serde = new SpecificAvroSerde<>(Prompt.class).configured(CONFIG, false);
        byte[] good = serde.serializer().serialize("t", prompt("1"));
        byte[] sampleBytes = new SpecificAvroSerde<>(Sample.class).configured(CONFIG, false)
                .serializer().serialize("t2", EventFixtures.populated(Sample.class, 1));
        byte[] truncated = Arrays.copyOf(good, good.length - 3);
        byte[] trailing = Arrays.copyOf(good, good.length + 2);
        byte[] unknownId = good.clone();
        ByteBuffer.wrap(unknownId, 1, 4).putInt(9999);

        assertThatThrownBy(() -> serde.deserializer().deserialize("t", new byte[] {0, 0}))
                .isInstanceOf(SerializationException.class).hasMessageContaining("shorter than the 5-byte header");
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", "{\"json\":1}".getBytes()))
                .isInstanceOf(SerializationException.class).hasMessageContaining("magic byte is 0x7b");
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", unknownId))
                .isInstanceOf(SerializationException.class).hasMessageContaining("unknown schema id 9999");
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", truncated))
                .isInstanceOf(SerializationException.class).hasMessageContaining("corrupt Avro data");
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", trailing))
                .isInstanceOf(SerializationException.class).hasMessageContaining("trailing bytes");
        assertThatThrownBy(() -> serde.deserializer().deserialize("t2", sampleBytes))
                .isInstanceOf(SerializationException.class).hasMessageContaining("it is a dev.odpo.events.Sample, not a dev.odpo.events.Prompt");
        // each failure names its kind, which a dead letter carries as its error class
        assertThat(kindOf(() -> serde.deserializer().deserialize("t", new byte[] {0, 0})))
                .isEqualTo(UndecodableRecordException.Kind.NOT_FRAMED);
        assertThat(kindOf(() -> serde.deserializer().deserialize("t", "{\"json\":1}".getBytes())))
                .isEqualTo(UndecodableRecordException.Kind.NOT_FRAMED);
        assertThat(kindOf(() -> serde.deserializer().deserialize("t", unknownId)))
                .isEqualTo(UndecodableRecordException.Kind.UNKNOWN_SCHEMA);
        assertThat(kindOf(() -> serde.deserializer().deserialize("t", truncated)))
                .isEqualTo(UndecodableRecordException.Kind.CORRUPT_DATA);
        assertThat(kindOf(() -> serde.deserializer().deserialize("t", trailing)))
                .isEqualTo(UndecodableRecordException.Kind.CORRUPT_DATA);
        assertThat(kindOf(() -> serde.deserializer().deserialize("t2", sampleBytes)))
                .isEqualTo(UndecodableRecordException.Kind.INCOMPATIBLE_SCHEMA);
        assertThat(serde.deserializer().deserialize("t", null)).isNull();
        assertThat(serde.serializer().serialize("t", null)).isNull();
    }

    @Test
    void anUnreachableRegistryIsReportedAsUnavailableNotAsBadData() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Map<String, Object> config = Map.of("schema.registry.url", "http://alice:secret@127.0.0.1:" + closedPort);
        byte[] framed = new SpecificAvroSerde<>(Prompt.class).configured(CONFIG, false).serializer().serialize("t", prompt("1"));
        SpecificAvroSerde<Prompt> serde = new SpecificAvroSerde<>(Prompt.class).configured(config, false);

        assertThatThrownBy(() -> serde.deserializer().deserialize("t", framed))
                .isInstanceOf(RegistryUnavailableException.class).hasMessageContaining("registry is unavailable")
                .hasMessageContaining("127.0.0.1:" + closedPort).hasMessageNotContaining("secret");
        assertThatThrownBy(() -> serde.serializer().serialize("t", prompt("1")))
                .isInstanceOf(RegistryUnavailableException.class);
    }

    @Test
    void badSettingsNameTheSetting() {
        assertThatThrownBy(() -> new SpecificAvroSerde<>(Prompt.class).configure(Map.of(), false))
                .isInstanceOf(ConfigException.class).hasMessageContaining("schema.registry.url");
        assertThatThrownBy(() -> new SpecificAvroSerde<>(Prompt.class)
                .configure(Map.of("schema.registry.url", "mock://x", "auto.register.schemas", "yes"), false))
                .isInstanceOf(ConfigException.class).hasMessageContaining("auto.register.schemas");
        assertThatThrownBy(() -> new SpecificAvroSerde<>(Prompt.class)
                .configure(Map.of("schema.registry.url", "ftp://x"), false))
                .hasMessageContaining("http:// or https://");
    }

    static Prompt prompt(String id) {
        return Prompt.newBuilder().setPromptId(id).setCreatedAt(Instant.ofEpochMilli(1_763_856_000_000L)).setText("What is 2+2?")
                .setTask("arithmetic").setMetadata(Map.of("app", "test")).build();
    }

    static Schema withExtraField(Schema schema, String name, String defaultJson) {
        String json = schema.toString();
        String field = "{\"name\":\"" + name + "\",\"type\":\"string\",\"default\":" + defaultJson + "}";
        return new Schema.Parser().parse(json.substring(0, json.lastIndexOf(']')) + "," + field + "]}");
    }

    static Schema withoutField(Schema schema, String name) {
        var fields = schema.getFields().stream().filter(f -> !f.name().equals(name))
                .map(f -> new Schema.Field(f, f.schema())).toList();
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }

    static byte[] frame(int id, Schema schema, GenericRecord record) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(WireFormat.header(id));
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, enc);
        enc.flush();
        return out.toByteArray();
    }

    private static UndecodableRecordException.Kind kindOf(Runnable decode) {
        try {
            decode.run();
        } catch (UndecodableRecordException e) {
            return e.kind();
        }
        throw new AssertionError("decoded without an UndecodableRecordException");
    }
}

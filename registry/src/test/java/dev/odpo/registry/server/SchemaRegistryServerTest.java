package dev.odpo.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.Prompt;
import dev.odpo.events.Sample;
import dev.odpo.registry.client.RestSchemaRegistryClient;
import dev.odpo.registry.client.SchemaMetadata;
import dev.odpo.registry.client.SchemaRegistryClient;
import dev.odpo.registry.client.SchemaRegistryException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import dev.odpo.registry.serde.SpecificAvroSerde;
import dev.odpo.registry.testing.EventFixtures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.avro.Schema;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The REST API of odpo's registry, through the REST client and as raw HTTP, on a real broker. */
class SchemaRegistryServerTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static SchemaRegistryClient client;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    static final Schema V1 = CompatibilityLevelTest.V1;
    static final Schema V2 = CompatibilityLevelTest.V2;
    static final Schema REQUIRED_C = CompatibilityLevelTest.REQUIRED_C;

    @BeforeAll
    static void connect() {
        client = new RestSchemaRegistryClient(List.of(KAFKA.registryUrl()), null);
    }

    @Test
    void theSameSchemaGetsTheSameIdInEverySubjectAndADifferentOneANewId() {
        int first = client.register("same-a-value", Prompt.getClassSchema());
        int again = client.register("same-a-value", Prompt.getClassSchema());
        int otherSubject = client.register("same-b-value", Prompt.getClassSchema());
        int otherSchema = client.register("same-c-value", Sample.getClassSchema());

        assertThat(again).isEqualTo(first);
        assertThat(otherSubject).isEqualTo(first);
        assertThat(otherSchema).isNotEqualTo(first);
        assertThat(client.versions("same-a-value")).containsExactly(1);
        assertThat(client.getById(first)).isEqualTo(Prompt.getClassSchema());
    }

    @Test
    void formattingDoesNotMakeANewSchema() throws Exception {
        int id = client.register("fmt-value", V1);
        String spaced = V1.toString(true); // pretty-printed JSON of the same schema
        JsonNode answer = post("/subjects/fmt-value/versions", JSON.createObjectNode().put("schema", spaced).toString());
        assertThat(answer.path("id").asInt()).isEqualTo(id);
    }

    @Test
    void anIncompatibleChangeIsRefusedWith409AndACompatibleOneBecomesVersion2() {
        client.register("evolve-value", V1);

        assertRegistryError(() -> client.register("evolve-value", REQUIRED_C), 409);
        assertThat(client.isCompatible("evolve-value", REQUIRED_C)).isFalse();
        assertThat(client.isCompatible("evolve-value", V2)).isTrue();

        int id2 = client.register("evolve-value", V2);
        assertThat(client.versions("evolve-value")).containsExactly(1, 2);
        SchemaMetadata latest = client.latest("evolve-value");
        assertThat(latest).isEqualTo(new SchemaMetadata("evolve-value", 2, id2, V2.toString()));
        assertThat(client.version("evolve-value", 1).schema()).isEqualTo(V1.toString());
        assertThat(client.lookup("evolve-value", V1).version()).isEqualTo(1);
    }

    @Test
    void subjectLevelOverridesTheGlobalLevel() throws Exception {
        client.register("free-value", V1);
        assertError(get("/config/free-value"), 404, 40408);

        client.setCompatibility("free-value", "NONE");

        assertThat(client.compatibility("free-value")).isEqualTo("NONE");
        assertThat(client.globalCompatibility()).isEqualTo("BACKWARD");
        assertThat(client.register("free-value", REQUIRED_C)).isPositive();
        assertRegistryError(() -> client.setCompatibility("free-value", "SIDEWAYS"), 42203);
    }

    @Test
    void errorsCarryConfluentsCodesAndHttpStatuses() throws Exception {
        client.register("known-value", V1);

        assertRegistryError(() -> client.getById(987654), 40403);
        assertRegistryError(() -> client.versions("no-such-subject"), 40401);
        assertRegistryError(() -> client.version("known-value", 7), 40402);
        assertRegistryError(() -> client.lookup("known-value", V2), 40403);
        assertRegistryError(() -> client.lookup("no-such-subject", V2), 40401);

        assertError(get("/schemas/ids/987654"), 404, 40403);
        assertError(get("/subjects/known-value/versions/abc"), 422, 42202);
        assertError(get("/subjects/known-value/versions/0"), 422, 42202);
        assertError(post("/subjects/known-value/versions", "{\"schema\": \"{not avro\"}"), 422, 42201);
        assertError(post("/subjects/known-value/versions", "{\"schema\": \"{}\", \"schemaType\": \"PROTOBUF\"}"), 422, 42201);
        assertError(post("/subjects/known-value/versions",
                JSON.createObjectNode().put("schema", REQUIRED_C.toString()).toString()), 409, 409);
        assertError(put("/config", "{\"compatibility\": \"SIDEWAYS\"}"), 422, 42203);
        assertError(get("/nothing/here"), 404, 404);
    }

    @Test
    void readEndpointsAnswerTheDocumentedShapes() throws Exception {
        Schema shape = CompatibilityLevelTest.record("{\"name\":\"shape\",\"type\":\"string\"}");
        Schema shapeWithRequiredC = CompatibilityLevelTest.record("{\"name\":\"shape\",\"type\":\"string\"},{\"name\":\"c\",\"type\":\"int\"}");
        int id = client.register("shape-value", shape);

        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(KAFKA.registryUrl() + "/subjects")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/vnd.schemaregistry.v1+json");
        assertThat(JSON.readTree(r.body()).toString()).contains("\"shape-value\"");
        assertThat(get("/schemas/ids/" + id).path("schema").asText()).isEqualTo(shape.toString());
        assertThat(get("/schemas/ids/" + id + "/subjects").toString()).isEqualTo("[\"shape-value\"]");
        assertThat(get("/subjects/shape-value/versions/latest/schema")).isEqualTo(JSON.readTree(shape.toString()));
        assertThat(get("/subjects/shape-value/versions/1").path("id").asInt()).isEqualTo(id);
        assertThat(get("/schemas/types").toString()).isEqualTo("[\"AVRO\"]");
        assertThat(get("/config").path("compatibilityLevel").asText()).isEqualTo("BACKWARD");
        assertThat(get("/config/shape-value?defaultToGlobal=true").path("compatibilityLevel").asText()).isEqualTo("BACKWARD");
        JsonNode verbose = post("/compatibility/subjects/shape-value/versions/latest?verbose=true",
                JSON.createObjectNode().put("schema", shapeWithRequiredC.toString()).toString());
        assertThat(verbose.path("is_compatible").asBoolean()).isFalse();
        assertThat(verbose.path("messages").get(0).asText()).contains("READER_FIELD_MISSING_DEFAULT");
    }

    @Test
    void everyEventRoundTripsThroughTheBrokerAndTheRegistryServer() {
        Map<String, Object> serdeConfig = Map.of("schema.registry.url", KAFKA.registryUrl());
        Map<String, Object> clientConfig = Map.of("bootstrap.servers", KAFKA.bootstrapServers());
        for (Class<? extends SpecificRecord> type : EventFixtures.EVENTS) {
            roundTrip(type, serdeConfig, clientConfig);
        }
        assertThat(client.subjects()).contains("events." + Prompt.class.getSimpleName() + "-value");
    }

    private static <T extends SpecificRecord> void roundTrip(Class<T> type, Map<String, Object> serdeConfig,
                                                             Map<String, Object> clientConfig) {
        String topic = "events." + type.getSimpleName();
        T event = EventFixtures.populated(type, 11);
        SpecificAvroSerde<T> serde = new SpecificAvroSerde<>(type).configured(serdeConfig, false);
        try (KafkaProducer<String, T> producer = new KafkaProducer<>(clientConfig, new StringSerializer(), serde.serializer())) {
            producer.send(new ProducerRecord<>(topic, "k", event));
            producer.flush();
        }
        List<T> read = new ArrayList<>();
        try (KafkaConsumer<String, T> consumer = new KafkaConsumer<>(clientConfig, new StringDeserializer(), serde.deserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.currentTimeMillis() + 20_000;
            while (read.isEmpty() && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(100)).forEach(r -> read.add(r.value()));
            }
        }
        assertThat(read).as(type.getSimpleName()).containsExactly(event);
    }

    static void assertRegistryError(ThrowingCallable call, int errorCode) {
        assertThatThrownBy(call).isInstanceOf(SchemaRegistryException.class)
                .extracting(e -> ((SchemaRegistryException) e).errorCode()).isEqualTo(errorCode);
    }

    static void assertError(JsonNode body, int status, int errorCode) {
        assertThat(body.path("error_code").asInt()).as(body.toString()).isEqualTo(errorCode);
        assertThat(body.path("message").asText()).isNotBlank();
        assertThat(body.path("_status").asInt()).isEqualTo(status);
    }

    static JsonNode get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(KAFKA.registryUrl() + path)).GET().build());
    }

    static JsonNode post(String path, String body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(KAFKA.registryUrl() + path))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    static JsonNode put(String path, String body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(KAFKA.registryUrl() + path))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json").PUT(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** The JSON answer, with the HTTP status added as "_status" when the answer is an object. */
    static JsonNode send(HttpRequest request) throws Exception {
        HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        JsonNode n = JSON.readTree(r.body());
        if (n.isObject() && n.has("error_code")) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) n).put("_status", r.statusCode());
        }
        return n;
    }
}

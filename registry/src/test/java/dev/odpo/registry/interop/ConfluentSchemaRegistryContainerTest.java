package dev.odpo.registry.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.exception.NotFoundException;
import dev.odpo.events.Prompt;
import dev.odpo.events.Sample;
import dev.odpo.registry.client.RestSchemaRegistryClient;
import dev.odpo.registry.client.SchemaRegistryClient;
import dev.odpo.registry.client.SchemaRegistryException;
import dev.odpo.registry.serde.SpecificAvroDeserializer;
import dev.odpo.registry.serde.SpecificAvroSerializer;
import dev.odpo.registry.serde.WireFormat;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.ConfluentKafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * odpo's registry client and serdes against Confluent's own Schema Registry (and Confluent's Kafka image), in
 * containers. Runs where Docker is available and Confluent's images are in the local engine, or may be pulled
 * (ODPO_PULL_IMAGES=true); skipped (not failed), with the reason, elsewhere: odpo's CI reaches no image registry,
 * and Confluent's images cannot be built from Maven Central.
 */
@Testcontainers(disabledWithoutDocker = true)
class ConfluentSchemaRegistryContainerTest {

    static final String CONFLUENT_VERSION = "7.9.0";
    static final DockerImageName KAFKA_IMAGE = DockerImageName.parse("confluentinc/cp-kafka:" + CONFLUENT_VERSION);
    static final DockerImageName REGISTRY_IMAGE = DockerImageName.parse("confluentinc/cp-schema-registry:" + CONFLUENT_VERSION);

    static Network network;
    static ConfluentKafkaContainer kafka;
    static GenericContainer<?> registry;
    static String skipReason;

    @BeforeAll
    static void startConfluent() {
        List<String> missing = Stream.of(KAFKA_IMAGE, REGISTRY_IMAGE).map(DockerImageName::asCanonicalNameString)
                .filter(name -> !present(name)).toList();
        if (!missing.isEmpty() && !"true".equalsIgnoreCase(System.getenv("ODPO_PULL_IMAGES"))) {
            skipReason = "Confluent's images are not in the local Docker engine (" + String.join(", ", missing)
                    + ") and tests pull no image: docker pull them, or set ODPO_PULL_IMAGES=true where an image "
                    + "registry is reachable (Confluent's images cannot be built from Maven Central)";
            return;
        }
        network = Network.newNetwork();
        kafka = new ConfluentKafkaContainer(KAFKA_IMAGE).withNetwork(network).withListener("kafka:19092");
        registry = new GenericContainer<>(REGISTRY_IMAGE)
                .withNetwork(network)
                .withExposedPorts(8081)
                .withEnv("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
                .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081")
                .withEnv("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://kafka:19092")
                .dependsOn(kafka)
                .waitingFor(Wait.forHttp("/subjects").forStatusCode(200).withStartupTimeout(Duration.ofMinutes(3)));
        registry.start();
    }

    @BeforeEach
    void confluentIsHere() {
        Assumptions.assumeTrue(skipReason == null, () -> skipReason);
    }

    @AfterAll
    static void stopConfluent() {
        if (registry != null) {
            registry.stop();
        }
        if (kafka != null) {
            kafka.stop();
        }
        if (network != null) {
            network.close();
        }
    }

    static boolean present(String image) {
        try {
            DockerClientFactory.instance().client().inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    static String registryUrl() {
        return "http://" + registry.getHost() + ":" + registry.getMappedPort(8081);
    }

    @Test
    void ourClientSpeaksConfluentsRegistryApi() {
        SchemaRegistryClient client = new RestSchemaRegistryClient(List.of(registryUrl()), null);
        Schema v1 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}");
        Schema v2 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},"
                + "{\"name\":\"b\",\"type\":\"int\",\"default\":0}]}");
        Schema breaking = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},"
                + "{\"name\":\"c\",\"type\":\"int\"}]}");

        int id = client.register("tc-value", v1);
        assertThat(client.register("tc-value", v1)).isEqualTo(id);
        assertThat(client.register("tc-other-value", v1)).isEqualTo(id);
        assertThat(client.getById(id)).isEqualTo(v1);
        assertThat(client.isCompatible("tc-value", v2)).isTrue();
        assertThat(client.isCompatible("tc-value", breaking)).isFalse();
        assertCode(() -> client.register("tc-value", breaking), 409);
        int id2 = client.register("tc-value", v2);
        assertThat(client.versions("tc-value")).containsExactly(1, 2);
        assertThat(client.latest("tc-value").id()).isEqualTo(id2);
        assertThat(client.lookup("tc-value", v1).version()).isEqualTo(1);
        assertThat(client.subjects()).contains("tc-value", "tc-other-value");
        assertCode(() -> client.getById(99_999), 40403);
        assertCode(() -> client.versions("no-such-subject"), 40401);
        assertCode(() -> client.version("tc-value", 9), 40402);
        assertThat(client.globalCompatibility()).isEqualTo("BACKWARD");
        client.setCompatibility("tc-value", "FULL");
        assertThat(client.compatibility("tc-value")).isEqualTo("FULL");
    }

    @Test
    void ourSerdesRoundTripThroughConfluentsRegistryAndKafka() {
        Map<String, Object> config = Map.of("schema.registry.url", registryUrl());
        Prompt prompt = Prompt.newBuilder().setPromptId("tc-1").setCreatedAt(Instant.ofEpochMilli(42)).setText("hello").build();
        SpecificAvroSerializer<Prompt> serializer = new SpecificAvroSerializer<>();
        serializer.configure(config, false);
        try (KafkaProducer<String, Prompt> producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.getBootstrapServers()),
                new StringSerializer(), serializer)) {
            producer.send(new ProducerRecord<>("odpo.prompts", "tc-1", prompt));
            producer.flush();
        }

        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.getBootstrapServers()),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition("odpo.prompts", 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.currentTimeMillis() + 30_000;
            while (records.isEmpty() && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        assertThat(records).hasSize(1);
        byte[] bytes = records.get(0).value();
        SchemaRegistryClient client = new RestSchemaRegistryClient(List.of(registryUrl()), null);
        assertThat(WireFormat.schemaId(bytes)).isEqualTo(client.lookup("odpo.prompts-value", Prompt.getClassSchema()).id());

        SpecificAvroDeserializer<Prompt> deserializer = new SpecificAvroDeserializer<>(Prompt.class);
        deserializer.configure(config, false);
        assertThat(deserializer.deserialize("odpo.prompts", bytes)).isEqualTo(prompt);
        SpecificAvroDeserializer<Sample> wrongType = new SpecificAvroDeserializer<>(Sample.class);
        wrongType.configure(config, false);
        assertThatThrownBy(() -> wrongType.deserialize("odpo.prompts", bytes)).hasMessageContaining("not a dev.odpo.events.Sample");
    }

    static void assertCode(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, int code) {
        assertThatThrownBy(call).isInstanceOf(SchemaRegistryException.class)
                .extracting(e -> ((SchemaRegistryException) e).errorCode()).isEqualTo(code);
    }
}

package dev.odpo.registry.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.Prompt;
import dev.odpo.events.Sample;
import dev.odpo.events.SamplerKind;
import dev.odpo.registry.serde.SpecificAvroDeserializer;
import dev.odpo.registry.serde.SpecificAvroSerializer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Confluent's own client, Debian's python3-confluent-kafka (legacy {@code confluent_kafka.avro} API), writes and
 * reads odpo topics through odpo's registry server on the embedded broker. Skipped where /usr/bin/python3 or
 * confluent_kafka.avro is missing (.ci/run installs python3-confluent-kafka, python3-avro, python3-requests).
 */
class ConfluentPythonInteropTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final Path PYTHON = Path.of("/usr/bin/python3");
    static final Path SCRIPT = Path.of("src", "test", "python", "confluent_interop.py").toAbsolutePath();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @BeforeAll
    static void requireConfluentPythonClient() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON), "no /usr/bin/python3: install python3-confluent-kafka to run this test");
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import confluent_kafka.avro, avro.schema")
                .redirectErrorStream(true).start();
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        assumeTrue(done && p.exitValue() == 0, "confluent_kafka.avro not importable by /usr/bin/python3: "
                + "apt-get install python3-confluent-kafka python3-avro python3-requests");
    }

    @Test
    void aPromptFromPythonsAvroProducerDecodesInOdpo() throws Exception {
        // Given Confluent's AvroProducer writes a Prompt with odpo's schema through odpo's registry
        String value = """
                {"prompt_id": "py-1", "created_at": 1763856000123, "text": "Wie viel ist 2+2? ✓",
                 "system": "Answer briefly.", "task": "arithmetic", "reference_answer": "4", "source": null,
                 "metadata": {"origin": "python"}}""";
        python("produce", "--topic", "py-prompts", "--schema-file", schemaFile(Prompt.getClassSchema().toString()),
                "--value-json", value);

        // When odpo's deserializer reads the topic
        List<ConsumerRecord<String, Prompt>> records = consume("py-prompts", Prompt.class, 1);

        // Then every field is what Python wrote
        Prompt prompt = records.get(0).value();
        assertThat(records.get(0).key()).isNull();
        assertThat(prompt).isEqualTo(Prompt.newBuilder().setPromptId("py-1").setCreatedAt(Instant.ofEpochMilli(1763856000123L))
                .setText("Wie viel ist 2+2? ✓").setSystem("Answer briefly.").setTask("arithmetic").setReferenceAnswer("4")
                .setSource(null).setMetadata(Map.of("origin", "python")).build());
    }

    @Test
    void aSampleFromOdpoDecodesInPythonsAvroConsumer() throws Exception {
        // Given odpo's serializer writes a Sample
        Sample sample = sample();
        produce("odpo-samples", null, sample);

        // When Confluent's AvroConsumer reads it
        List<JsonNode> lines = python("consume", "--topic", "odpo-samples", "--count", "1");

        // Then it sees the same values
        JsonNode v = lines.get(0);
        assertThat(v.path("sample_id").asText()).isEqualTo("s-7");
        assertThat(v.path("created_at").asLong()).isEqualTo(1763856000456L);
        assertThat(v.path("response_text").asText()).isEqualTo("4 — vier");
        assertThat(v.path("sampler").asText()).isEqualTo("PILAF_PLUS");
        assertThat(v.path("pair_slot").asInt()).isEqualTo(3);
        assertThat(v.path("policy_version").asLong()).isEqualTo(12L);
        assertThat(v.path("logprob").asDouble()).isEqualTo(-3.25);
        assertThat(v.path("temperature").asDouble()).isEqualTo(0.7f);
        assertThat(v.path("response_token_ids").toString()).isEqualTo("[19,4,2]");
        assertThat(v.path("reference_answer").isNull()).isTrue();
    }

    @Test
    void keyedOdpoTopicsWorkBothWaysWithConfluentsMessageSerializer() throws Exception {
        // odpo keys per-prompt topics with the prompt id as a plain string; the legacy AvroConsumer would try to
        // Avro-decode that key, so Python uses Confluent's MessageSerializer for the value and reads the key as text.
        produce("odpo.prompts", "p-42", Prompt.newBuilder().setPromptId("p-42").setCreatedAt(Instant.ofEpochMilli(5))
                .setText("odpo → python").build());
        JsonNode fromOdpo = python("consume-keyed", "--topic", "odpo.prompts", "--count", "1").get(0);
        assertThat(fromOdpo.path("key").asText()).isEqualTo("p-42");
        assertThat(fromOdpo.path("value").path("text").asText()).isEqualTo("odpo → python");
        assertThat(fromOdpo.path("value").path("created_at").asLong()).isEqualTo(5L);

        python("produce-keyed", "--topic", "odpo.prompts", "--key", "py-43", "--schema-file",
                schemaFile(Prompt.getClassSchema().toString()), "--value-json",
                "{\"prompt_id\": \"py-43\", \"created_at\": 6, \"text\": \"python → odpo\", \"system\": null, \"task\": null,"
                        + " \"reference_answer\": null, \"source\": \"py\", \"metadata\": {}}");
        List<ConsumerRecord<String, Prompt>> records = consume("odpo.prompts", Prompt.class, 2);
        ConsumerRecord<String, Prompt> fromPython = records.get(1);
        assertThat(fromPython.key()).isEqualTo("py-43");
        assertThat(fromPython.value().getText()).isEqualTo("python → odpo");
        assertThat(fromPython.value().getSource()).isEqualTo("py");
    }

    private static Sample sample() {
        return Sample.newBuilder().setSampleId("s-7").setPromptId("p-1").setGroupId("g-1")
                .setCreatedAt(Instant.ofEpochMilli(1763856000456L)).setPromptText("2+2?").setResponseText("4 — vier")
                .setGroupSize(4).setIndexInGroup(1).setPolicyName("policy").setPolicyVersion(12L)
                .setSampler(SamplerKind.PILAF_PLUS).setPairSlot(3).setLogprob(-3.25).setResponseTokenIds(List.of(19, 4, 2))
                .setFinishReason("eos").setTemperature(0.7f).build();
    }

    private String schemaFile(String schema) throws IOException {
        Path f = Files.createTempFile(tmp, "schema", ".avsc");
        Files.writeString(f, schema);
        return f.toString();
    }

    private <T extends SpecificRecord> void produce(String topic, String key, T value) {
        SpecificAvroSerializer<T> serializer = new SpecificAvroSerializer<>();
        serializer.configure(Map.of("schema.registry.url", KAFKA.registryUrl()), false);
        try (KafkaProducer<String, T> producer = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
                new StringSerializer(), serializer)) {
            producer.send(new ProducerRecord<>(topic, key, value));
            producer.flush();
        }
    }

    private static <T extends SpecificRecord> List<ConsumerRecord<String, T>> consume(String topic, Class<T> type, int count) {
        SpecificAvroDeserializer<T> deserializer = new SpecificAvroDeserializer<>(type);
        deserializer.configure(Map.of("schema.registry.url", KAFKA.registryUrl()), false);
        List<ConsumerRecord<String, T>> out = new ArrayList<>();
        try (KafkaConsumer<String, T> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                KAFKA.bootstrapServers()), new StringDeserializer(), deserializer)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.currentTimeMillis() + 30_000;
            while (out.size() < count && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        assertThat(out).as("records read from " + topic).hasSize(count);
        return out;
    }

    /** Runs the Confluent client script; returns its stdout as JSON lines, failing with its stderr if it fails. */
    private List<JsonNode> python(String mode, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), SCRIPT.toString(), mode,
                "--bootstrap", KAFKA.bootstrapServers(), "--registry", KAFKA.registryUrl(), "--timeout", "60"));
        cmd.addAll(List.of(args));
        Path stderr = tmp.resolve(mode + "-stderr.txt");
        Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        byte[] stdout = p.getInputStream().readAllBytes();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("python " + mode + " did not finish in 90 s");
        }
        String out = new String(stdout, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("python %s exit status; stdout:%n%s%nstderr:%n%s", mode, out, Files.readString(stderr))
                .isZero();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }
}

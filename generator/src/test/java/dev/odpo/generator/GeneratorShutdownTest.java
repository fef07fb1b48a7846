package dev.odpo.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.Prompt;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The generator as its own process: SIGTERM stops it cleanly with its offsets committed. */
class GeneratorShutdownTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void sigtermCommitsAndStopsTheService() throws Exception {
        String registry = KAFKA.registryUrl();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), Main.class.getName());
        pb.environment().put("ODPO_BOOTSTRAP_SERVERS", KAFKA.bootstrapServers());
        pb.environment().put("ODPO_SCHEMA_REGISTRY_URL", registry);
        pb.environment().put("ODPO_GENERATOR_GROUP_ID", "shutdown-test");
        pb.redirectErrorStream(true);
        Process process = pb.start();
        List<String> output = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    output.add(line);
                }
            } catch (java.io.IOException e) {
                // the process ended
            }
        });
        reader.start();
        try {
            // Given a running generator that has consumed one prompt.
            await().atMost(Duration.ofSeconds(90)).until(() -> contains(output, "partitions assigned"));
            KafkaSettings kafka = KafkaSettings.local(KAFKA.bootstrapServers(), registry);
            Topic<String, Prompt> prompts = kafka.topics().prompts();
            try (var producer = new KafkaProducer<>(kafka.rawProducer("test"))) {
                Prompt p = Prompt.newBuilder().setPromptId("p-term").setCreatedAt(Instant.now()).setText("Hello?").build();
                producer.send(new ProducerRecord<>(prompts.name(), 0, "p-term".getBytes(),
                        prompts.valueSerde().serializer().serialize(prompts.name(), p))).get();
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> contains(output, "prompt p-term"));

            // When it gets SIGTERM, as from kill, systemd or Kubernetes.
            new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).inheritIO().start().waitFor();

            // Then it stops by itself, saying so, with the prompt's offset committed.
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped within 60 s").isTrue();
            reader.join(5_000);
            assertThat(String.join("\n", output)).as("exit code %d", process.exitValue()).contains("shutdown requested")
                    .contains("generator: stopped after 1 records (1 handled, 0 dead-lettered)");
            try (Admin admin = Admin.create(kafka.admin("check"))) {
                var committed = admin.listConsumerGroupOffsets("shutdown-test").partitionsToOffsetAndMetadata().get();
                assertThat(committed.get(new TopicPartition(prompts.name(), 0)).offset()).isEqualTo(1);
            }
        } finally {
            process.destroyForcibly();
        }
    }

    private static boolean contains(List<String> lines, String text) {
        return lines.stream().anyMatch(l -> l.contains(text));
    }
}

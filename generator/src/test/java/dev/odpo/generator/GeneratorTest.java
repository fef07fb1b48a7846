package dev.odpo.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.Prompt;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class GeneratorTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static Prompt prompt(String id, String text) {
        return Prompt.newBuilder().setPromptId(id).setCreatedAt(Instant.now()).setText(text).build();
    }

    @Test
    void aValidPromptHasNoProblems() {
        assertThat(Generator.problems("p1", prompt("p1", "What is 2+2?"), 100)).isEmpty();
    }

    @Test
    void emptyOversizedOrUnidentifiedPromptsAreRefusedWithTheReason() {
        assertThat(Generator.problems("p1", prompt("p1", " \n"), 100)).containsExactly("text is empty");
        assertThat(Generator.problems("p1", prompt("p1", "x".repeat(101)), 100))
                .containsExactly("text is too long: 101 characters, at most 100 allowed");
        assertThat(Generator.problems(null, prompt("", "hi"), 100)).containsExactly("prompt_id is missing or blank");
        assertThat(Generator.problems("p2", prompt("p1", "hi"), 100))
                .containsExactly("record key 'p2' differs from prompt_id 'p1'");
    }

    @Test
    void theServiceConsumesPromptsAndDeadLettersTheBadOnes() throws Exception {
        // Given a generator wired as Main wires it, against a real broker.
        KafkaSettings kafka = KafkaSettings.local(KAFKA.bootstrapServers(), "mock://generator-test");
        GeneratorConfig config = new GeneratorConfig(kafka, "generator-test", 50);
        try (var admin = dev.odpo.kafka.TopicAdmin.create(kafka)) {
            admin.createMissing(kafka.topics().all());
        }
        Generator generator = Generator.create(config);
        Thread thread = new Thread(generator, "generator");
        thread.start();

        // When prompts arrive, one of them too long.
        Topic<String, Prompt> prompts = kafka.topics().prompts();
        try (var producer = new KafkaProducer<>(kafka.rawProducer("test"))) {
            for (Map.Entry<String, String> e : Map.of("a", "Hello?", "b", "x".repeat(51), "c", "Name a colour.").entrySet()) {
                producer.send(new ProducerRecord<>(prompts.name(), e.getKey().getBytes(),
                        prompts.valueSerde().serializer().serialize(prompts.name(), prompt(e.getKey(), e.getValue()))));
            }
        }

        // Then the good ones are handled, the bad one dead-lettered, and the service stops cleanly.
        await().atMost(Duration.ofSeconds(60)).until(() -> generator.loop().handled() == 2 && generator.loop().deadLettered() == 1);
        generator.stop();
        assertThat(generator.awaitStopped(Duration.ofSeconds(30))).isTrue();
        thread.join(10_000);
        assertThat(thread.isAlive()).isFalse();
    }
}

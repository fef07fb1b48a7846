package dev.odpo.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.Prompt;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.registry.server.SchemaRegistryServer;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A schema registry outage is not the record's fault: the loop must wait for the registry and then handle
 * the record, never dead-letter it.
 */
class RegistryOutageTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void recordsWaitForTheRegistryInsteadOfBeingDeadLettered() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        SchemaRegistryServer.Config registryConfig = new SchemaRegistryServer.Config(
                "127.0.0.1", port, KAFKA.bootstrapServers(), "_schemas_outage", "BACKWARD");
        KafkaSettings kafka = KafkaSettings.local(KAFKA.bootstrapServers(), "http://127.0.0.1:" + port)
                .withTopicPrefix("outage.");
        Topics topics = kafka.topics();
        Topic<String, Prompt> prompts = topics.prompts();
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            admin.createMissing(List.of(prompts, topics.deadLetters()));
        }

        // Given: a prompt written while the registry was up, then the registry goes down.
        try (SchemaRegistryServer registry = SchemaRegistryServer.start(registryConfig);
             KafkaProducer<String, Prompt> producer = new KafkaProducer<>(kafka.rawProducer("outage"),
                     prompts.keySerde().serializer(), prompts.valueSerde().serializer())) {
            Prompt prompt = Prompt.newBuilder().setPromptId("p1").setCreatedAt(Instant.now())
                    .setText("What is 2+2?").setMetadata(Map.of()).build();
            producer.send(new ProducerRecord<>(prompts.name(), "p1", prompt)).get();
        }

        // When: a service starts consuming with a fresh serde while the registry is down.
        Topic<String, Prompt> freshPrompts = KafkaSettings.local(KAFKA.bootstrapServers(), "http://127.0.0.1:" + port)
                .withTopicPrefix("outage.").topics().prompts();
        List<String> handled = new CopyOnWriteArrayList<>();
        try (DeadLetters deadLetters = DeadLetters.create("outage-service", topics, kafka)) {
            ConsumerLoop<String, Prompt> loop = new ConsumerLoop<>("outage-service", freshPrompts,
                    new KafkaConsumer<>(kafka.rawConsumer("outage-group", "outage")), deadLetters,
                    (key, p) -> List.of(), r -> handled.add(r.value().getPromptId()), Duration.ofMillis(200));
            Thread thread = new Thread(loop, "outage-loop");
            thread.start();
            try {
                // Then: nothing is handled or dead-lettered while the registry is down...
                Thread.sleep(3_000);
                assertThat(handled).isEmpty();
                assertThat(loop.deadLettered()).isZero();

                // ...and once it is back (same port, schemas kept in Kafka), the record is handled.
                try (SchemaRegistryServer registry = SchemaRegistryServer.start(registryConfig)) {
                    await().atMost(Duration.ofSeconds(60)).until(() -> handled.size() == 1);
                }
                assertThat(handled).containsExactly("p1");
                assertThat(loop.deadLettered()).isZero();
            } finally {
                loop.stop();
                assertThat(loop.awaitStopped(Duration.ofSeconds(30))).isTrue();
                thread.join(10_000);
            }
        }
    }
}

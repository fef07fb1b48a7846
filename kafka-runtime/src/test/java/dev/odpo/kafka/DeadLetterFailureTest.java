package dev.odpo.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.Prompt;
import dev.odpo.kafka.config.KafkaSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** When a dead letter cannot be written, nothing is committed past it: the record is not lost. */
class DeadLetterFailureTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension()
            .withBrokerConfig("auto.create.topics.enable", "false");

    @Test
    void aDeadLetterThatCannotBeWrittenStopsTheLoopWithoutCommitting() throws Exception {
        // Given a prompts topic but no dead-letter topic (and a broker that will not create one).
        KafkaSettings base = KafkaSettings.local(KAFKA.bootstrapServers(), "mock://dead-letter-failure");
        KafkaSettings kafka = new KafkaSettings(base.bootstrapServers(), base.registryUrl(), base.topicPrefix(),
                base.partitions(), base.replicationFactor(), false, Map.of("max.block.ms", "1500"), Map.of());
        Topics topics = kafka.topics();
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            admin.createMissing(List.of(topics.prompts()));
        }
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.rawProducer("test"))) {
            producer.send(new ProducerRecord<>(topics.prompts().name(), 0, "p1".getBytes(StandardCharsets.UTF_8),
                    DeadLetterScenario.encode(topics.prompts(), DeadLetterScenario.prompt("p1", "Hello?")))).get();
            producer.send(new ProducerRecord<>(topics.prompts().name(), 0, "bad".getBytes(StandardCharsets.UTF_8),
                    DeadLetterScenario.CORRUPT)).get();
        }

        // When a loop meets the corrupt record.
        List<String> handled = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (DeadLetters deadLetters = DeadLetters.create("failing", topics, kafka)) {
            ConsumerLoop<String, Prompt> loop = new ConsumerLoop<>("failing", topics.prompts(),
                    new KafkaConsumer<>(kafka.rawConsumer("failing-group", "failing")), deadLetters, RecordCheck.none(),
                    r -> handled.add(r.key()), Duration.ofMillis(200));
            Thread thread = new Thread(() -> {
                try {
                    loop.run();
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            thread.start();
            thread.join(60_000);
            assertThat(thread.isAlive()).isFalse();
        }

        // Then the loop stops with a clear error, and no offset is committed: both records come back.
        assertThat(failure.get()).isInstanceOf(KafkaException.class)
                .hasMessageContaining("could not write the dead letter for " + topics.prompts().name() + "[0]@1");
        assertThat(handled).containsExactly("p1");
        try (Admin admin = Admin.create(kafka.admin("check"))) {
            assertThat(admin.listConsumerGroupOffsets("failing-group").partitionsToOffsetAndMetadata().get()).isEmpty();
        }
    }
}

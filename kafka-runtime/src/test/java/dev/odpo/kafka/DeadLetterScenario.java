package dev.odpo.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.odpo.events.DeadLetter;
import dev.odpo.events.Prompt;
import dev.odpo.kafka.config.KafkaSettings;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Given a topic holding good prompts, a corrupt record, a record with an unknown schema id, an invalid
 * prompt and a record without a value, when a consumer loop runs over it, then the good prompts are
 * handled in order, the four bad records land on the dead-letter topic with their raw bytes, source
 * coordinates and reason, and every offset is committed. Shared by the embedded-broker test and the Testcontainers test.
 */
final class DeadLetterScenario {

    static final byte[] CORRUPT = "this is not avro".getBytes(StandardCharsets.UTF_8);
    // Confluent framing (magic 0, schema id 9999) around bytes no registry knows.
    static final byte[] UNKNOWN_SCHEMA = {0, 0, 0, 0x27, 0x0F, 2, 4, 6};

    static void run(String bootstrapServers) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        KafkaSettings kafka = KafkaSettings.local(bootstrapServers, "mock://dead-letters-" + run)
                .withTopicPrefix("dlq-" + run + ".");
        Topics topics = kafka.topics();
        Topic<String, Prompt> prompts = topics.prompts();
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            admin.createMissing(List.of(prompts, topics.deadLetters()));
        }

        // Given: good, corrupt, unknown-schema, invalid, good, good — all in partition 0, in this order.
        List<RecordMetadata> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.rawProducer("scenario"))) {
            sent.add(send(producer, prompts, "p1", encode(prompts, prompt("p1", "What is 2+2?"))));
            sent.add(send(producer, prompts, "bad-1", CORRUPT));
            sent.add(send(producer, prompts, "bad-2", UNKNOWN_SCHEMA));
            sent.add(send(producer, prompts, "p-empty", encode(prompts, prompt("p-empty", "  "))));
            sent.add(send(producer, prompts, "p2", encode(prompts, prompt("p2", "Name a prime."))));
            sent.add(send(producer, prompts, "p3", encode(prompts, prompt("p3", "Say hello."))));
            sent.add(send(producer, prompts, "no-value", null));
        }

        // When: a service loop consumes the topic.
        List<String> handled = new CopyOnWriteArrayList<>();
        RecordCheck<String, Prompt> check = (key, p) -> new RecordCheck.Problems()
                .id("prompt_id", p.getPromptId()).text("text", p.getText(), 1000)
                .keyMatches(key, "prompt_id", p.getPromptId()).list();
        String group = "scenario-" + run;
        try (DeadLetters deadLetters = DeadLetters.create("scenario-service", topics, kafka)) {
            ConsumerLoop<String, Prompt> loop = new ConsumerLoop<>("scenario-service", prompts,
                    new KafkaConsumer<>(kafka.rawConsumer(group, "scenario")), deadLetters, check,
                    r -> handled.add(r.value().getPromptId()), Duration.ofMillis(200));
            Thread thread = new Thread(loop, "scenario-loop");
            thread.start();

            await().atMost(Duration.ofSeconds(60)).until(() -> handled.size() == 3 && loop.deadLettered() == 4);
            loop.stop();
            assertThat(loop.awaitStopped(Duration.ofSeconds(30))).isTrue();
            thread.join(10_000);

            // Then: the good prompts were handled in order, past the bad ones.
            assertThat(handled).containsExactly("p1", "p2", "p3");
            assertThat(loop.consumed()).isEqualTo(7);
        }

        // Then: each bad record is on the dead-letter topic with its raw bytes, coordinates and reason.
        List<DeadLetter> letters = readAll(kafka, topics.deadLetters(), 4);
        letters.sort(Comparator.comparingLong(DeadLetter::getSourceOffset));
        DeadLetter corrupt = letters.get(0);
        assertThat(corrupt.getService()).isEqualTo("scenario-service");
        assertThat(corrupt.getSourceTopic()).isEqualTo(prompts.name());
        assertThat(corrupt.getSourcePartition()).isEqualTo(sent.get(1).partition());
        assertThat(corrupt.getSourceOffset()).isEqualTo(sent.get(1).offset());
        assertThat(bytes(corrupt.getValue())).isEqualTo(CORRUPT);
        assertThat(new String(bytes(corrupt.getKey()), StandardCharsets.UTF_8)).isEqualTo("bad-1");
        assertThat(corrupt.getErrorClass()).isEqualTo("NotFramed");
        assertThat(corrupt.getReason()).isNotBlank();

        DeadLetter unknownSchema = letters.get(1);
        assertThat(unknownSchema.getSourceOffset()).isEqualTo(sent.get(2).offset());
        assertThat(bytes(unknownSchema.getValue())).isEqualTo(UNKNOWN_SCHEMA);
        assertThat(unknownSchema.getErrorClass()).isEqualTo("UnknownSchema");

        DeadLetter invalid = letters.get(2);
        assertThat(invalid.getSourceOffset()).isEqualTo(sent.get(3).offset());
        assertThat(invalid.getErrorClass()).isEqualTo("InvalidRecord");
        assertThat(invalid.getReason()).contains("text is empty");

        DeadLetter noValue = letters.get(3);
        assertThat(noValue.getSourceOffset()).isEqualTo(sent.get(6).offset());
        assertThat(noValue.getValue()).isNull();
        assertThat(noValue.getReason()).isEqualTo("record has no value");

        // Then: every offset is committed, so a restart does not re-deliver anything.
        try (Admin admin = Admin.create(kafka.admin("scenario-check"))) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            assertThat(committed.get(new TopicPartition(prompts.name(), 0)).offset()).isEqualTo(7);
        }
    }

    static Prompt prompt(String id, String text) {
        return Prompt.newBuilder().setPromptId(id).setCreatedAt(Instant.now()).setText(text).build();
    }

    static byte[] encode(Topic<String, Prompt> topic, Prompt p) {
        return topic.valueSerde().serializer().serialize(topic.name(), p);
    }

    private static RecordMetadata send(KafkaProducer<byte[], byte[]> producer, Topic<?, ?> topic, String key, byte[] value)
            throws Exception {
        return producer.send(new ProducerRecord<>(topic.name(), 0, key.getBytes(StandardCharsets.UTF_8), value)).get();
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer copy = b.duplicate();
        byte[] out = new byte[copy.remaining()];
        copy.get(out);
        return out;
    }

    static <V> List<V> readAll(KafkaSettings kafka, Topic<String, V> topic, int expected) {
        Properties p = kafka.rawConsumer("reader-" + UUID.randomUUID(), "reader");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<V> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic.name()));
            long deadline = System.currentTimeMillis() + 30_000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(topic.valueSerde().deserializer().deserialize(r.topic(), r.value()));
                }
            }
        }
        assertThat(out).as("records on " + topic.name()).hasSize(expected);
        return out;
    }
}

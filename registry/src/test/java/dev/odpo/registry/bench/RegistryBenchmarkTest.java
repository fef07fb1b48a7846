package dev.odpo.registry.bench;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.Sample;
import dev.odpo.registry.client.RestSchemaRegistryClient;
import dev.odpo.registry.client.SchemaRegistryClient;
import dev.odpo.registry.serde.SpecificAvroSerde;
import dev.odpo.registry.testing.EventFixtures;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import java.util.Map;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Measurements, not assertions: registry request latency over HTTP and serde throughput. Excluded from the
 * normal build; run with
 * {@code ./mvnw -B -o -q -pl registry verify -Dsurefire.excludedGroups=none -Dgroups=benchmark}
 * and read target/surefire-reports/dev.odpo.registry.bench.RegistryBenchmarkTest-output.txt.
 */
@Tag("benchmark")
class RegistryBenchmarkTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void registryRequestLatency() {
        SchemaRegistryClient client = new RestSchemaRegistryClient(List.of(KAFKA.registryUrl()), null);
        int id = client.register("bench-value", Sample.getClassSchema());
        int n = 200;
        for (int i = 0; i < 20; i++) {
            client.getById(id); // warm-up
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            client.getById(id);
        }
        report("GET /schemas/ids/{id}", n, System.nanoTime() - t0);

        int registrations = 50;
        t0 = System.nanoTime();
        for (int i = 0; i < registrations; i++) {
            String json = "{\"type\":\"record\",\"name\":\"R" + i + "\",\"fields\":[{\"name\":\"f\",\"type\":\"int\"}]}";
            client.register("bench-new-" + i + "-value", new Schema.Parser().parse(json));
        }
        report("POST /subjects/{s}/versions (new schema: written to _schemas and read back)", registrations, System.nanoTime() - t0);
    }

    @Test
    void serdeThroughput() {
        SpecificAvroSerde<Sample> serde = new SpecificAvroSerde<>(Sample.class)
                .configured(Map.of("schema.registry.url", KAFKA.registryUrl()), false);
        Sample sample = EventFixtures.populated(Sample.class, 5);
        byte[] bytes = serde.serializer().serialize("bench", sample);
        int n = 200_000;
        for (int i = 0; i < 20_000; i++) {
            serde.deserializer().deserialize("bench", serde.serializer().serialize("bench", sample));
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            serde.serializer().serialize("bench", sample);
        }
        report("serialize Sample (" + bytes.length + " bytes)", n, System.nanoTime() - t0);
        t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            serde.deserializer().deserialize("bench", bytes);
        }
        report("deserialize Sample (" + bytes.length + " bytes)", n, System.nanoTime() - t0);
    }

    @Test
    void produceAndConsumeThroughTheEmbeddedBroker() throws Exception {
        Map<String, Object> serdeConfig = Map.of("schema.registry.url", KAFKA.registryUrl());
        SpecificAvroSerde<Sample> serde = new SpecificAvroSerde<>(Sample.class).configured(serdeConfig, false);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("bench-samples", 3, (short) 1))).all().get();
        }
        Sample sample = EventFixtures.populated(Sample.class, 5);
        int n = 100_000;
        Map<String, Object> producerConfig = Map.of("bootstrap.servers", KAFKA.bootstrapServers(), "acks", "all",
                "linger.ms", 5, "enable.idempotence", true);
        long t0 = System.nanoTime();
        try (KafkaProducer<String, Sample> producer = new KafkaProducer<>(producerConfig, new StringSerializer(), serde.serializer())) {
            for (int i = 0; i < n; i++) {
                producer.send(new ProducerRecord<>("bench-samples", "p-" + (i % 1000), sample));
            }
            producer.flush();
        }
        report("produce Sample (acks=all, idempotent, 3 partitions, serde included)", n, System.nanoTime() - t0);

        t0 = System.nanoTime();
        int read = 0;
        try (KafkaConsumer<String, Sample> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
                new StringDeserializer(), serde.deserializer())) {
            List<TopicPartition> parts = List.of(0, 1, 2).stream().map(p -> new TopicPartition("bench-samples", p)).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long deadline = System.currentTimeMillis() + 120_000;
            while (read < n && System.currentTimeMillis() < deadline) {
                read += consumer.poll(Duration.ofMillis(200)).count();
            }
        }
        report("consume Sample (serde included)", read, System.nanoTime() - t0);
    }

    private static void report(String what, int n, long nanos) {
        System.out.printf("BENCH %s: %d ops in %.1f ms = %.1f us/op, %.0f ops/s%n", what, n, nanos / 1e6,
                nanos / 1e3 / n, n / (nanos / 1e9));
    }
}

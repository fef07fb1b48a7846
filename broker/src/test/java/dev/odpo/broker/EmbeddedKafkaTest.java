package dev.odpo.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {

    @TempDir
    Path dataDir;

    @Test
    void restartOnTheSameDataDirKeepsTopicsAndRecords() throws Exception {
        // Given a broker with a topic holding two records
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(0).dataDir(dataDir).build()) {
            kafka.start();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("kept", 2, (short) 1))).all().get();
            }
            produce(kafka.bootstrapServers(), "kept", List.of("a", "b"));
        }

        // When a new broker starts on the same directory (on other ports)
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(0).dataDir(dataDir).build()) {
            kafka.start();

            // Then the topic and its records are still there
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                assertThat(admin.listTopics().names().get()).contains("kept");
            }
            assertThat(readAll(kafka.bootstrapServers(), "kept", "read_uncommitted", 2)).containsExactlyInAnyOrder("a", "b");
        }
    }

    @Test
    void aBrokerCanRestartAtOnceOnTheSameFixedPorts() throws Exception {
        int[] ports = EmbeddedKafka.freeLoopbackPorts(2);
        int port = ports[0];
        int controllerPort = ports[1];
        for (String value : List.of("first", "second")) {
            try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(port).controllerPort(controllerPort).dataDir(dataDir).build()) {
                kafka.start();
                assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
                produce(kafka.bootstrapServers(), "fixed", List.of(value));
            }
        }
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(port).controllerPort(controllerPort).dataDir(dataDir).build()) {
            kafka.start();
            assertThat(readAll(kafka.bootstrapServers(), "fixed", "read_uncommitted", 2)).containsExactly("first", "second");
        }
    }

    @Test
    void aPortInUseFailsWithAClearMessage() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            EmbeddedKafka kafka = EmbeddedKafka.builder().port(taken.getLocalPort()).dataDir(dataDir).build();
            assertThatThrownBy(kafka::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("127.0.0.1:" + taken.getLocalPort())
                    .hasMessageContaining("already in use");
            assertThat(kafka.isRunning()).isFalse();
        }
    }

    @Test
    void aSecondBrokerOnADataDirInUseFailsClearlyAndLeavesTheFirstRunning() {
        try (EmbeddedKafka first = EmbeddedKafka.builder().port(0).dataDir(dataDir).build()) {
            first.start();
            EmbeddedKafka second = EmbeddedKafka.builder().port(0).dataDir(dataDir).build();

            assertThatThrownBy(second::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is in use by another broker").hasMessageContaining(dataDir.toString());

            assertThat(second.isRunning()).isFalse();
            produce(first.bootstrapServers(), "still-up", List.of("x"));
            assertThat(readAll(first.bootstrapServers(), "still-up", "read_uncommitted", 1)).containsExactly("x");
        }
    }

    @Test
    void builderRejectsBadSettings() {
        assertThatThrownBy(() -> EmbeddedKafka.builder().port(70000)).hasMessageContaining("port must be 0..65535");
        assertThatThrownBy(() -> EmbeddedKafka.builder().build()).hasMessageContaining("dataDir is required");
        EmbeddedKafka notStarted = EmbeddedKafka.builder().dataDir(dataDir).build();
        assertThatThrownBy(notStarted::bootstrapServers).hasMessageContaining("not running");
    }

    static void produce(String bootstrap, String topic, List<String> values) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (String v : values) {
                producer.send(new ProducerRecord<>(topic, v, v));
            }
            producer.flush();
        }
    }

    /** Reads a topic from the beginning until {@code expected} values arrived or 20 s passed. */
    static List<String> readAll(String bootstrap, String topic, String isolation, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long deadline = System.currentTimeMillis() + 20_000;
            while (values.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
            }
            // One more short poll so that extra (unexpected) records are seen too.
            consumer.poll(Duration.ofMillis(300)).forEach(r -> values.add(r.value()));
        }
        return values;
    }

}

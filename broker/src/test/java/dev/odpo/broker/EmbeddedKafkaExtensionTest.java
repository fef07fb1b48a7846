package dev.odpo.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The extension's broker supports what the services rely on: transactions and Kafka Streams exactly_once_v2. */
class EmbeddedKafkaExtensionTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void readCommittedConsumersSeeOnlyCommittedTransactions() throws Exception {
        createTopic("tx", 1);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-test");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tx", "k", "committed"));
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tx", "k", "aborted"));
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tx", "k", "committed-2"));
            producer.commitTransaction();
        }

        assertThat(EmbeddedKafkaTest.readAll(KAFKA.bootstrapServers(), "tx", "read_committed", 2))
                .containsExactly("committed", "committed-2");
    }

    @Test
    void kafkaStreamsRunsWithExactlyOnceV2() throws Exception {
        createTopic("words-in", 1);
        createTopic("words-out", 1);
        EmbeddedKafkaTest.produce(KAFKA.bootstrapServers(), "words-in", List.of("hello", "kafka"));

        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("words-in", Consumed.with(Serdes.String(), Serdes.String()))
                .mapValues(v -> v.toUpperCase())
                .to("words-out", Produced.with(Serdes.String(), Serdes.String()));
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "eos-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        p.put(StreamsConfig.STATE_DIR_CONFIG, KAFKA.kafka().dataDir().resolve("streams").toString());
        p.put("consumer.auto.offset.reset", "earliest");
        try (KafkaStreams streams = new KafkaStreams(builder.build(), p)) {
            streams.start();
            // read_committed: the output only appears once the Streams transaction commits.
            assertThat(EmbeddedKafkaTest.readAll(KAFKA.bootstrapServers(), "words-out", "read_committed", 2))
                    .containsExactly("HELLO", "KAFKA");
            streams.close(Duration.ofSeconds(10));
        }
    }

    @Test
    void registryUrlWithoutTheRegistryModuleSaysWhatIsMissing() {
        assertThatThrownBy(KAFKA::registryUrl).hasMessageContaining("add dev.odpo:odpo-registry");
    }

    private static void createTopic(String name, int partitions) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get();
        }
    }
}

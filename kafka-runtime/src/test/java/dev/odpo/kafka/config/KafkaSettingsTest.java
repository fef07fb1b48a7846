package dev.odpo.kafka.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class KafkaSettingsTest {

    // Pass-through settings that would break exactly-once if they reached the transactional clients.
    private final KafkaSettings kafka = new KafkaSettings("127.0.0.1:9092", "mock://settings", "odpo.", 3, (short) 1, true,
            Map.of("isolation.level", "read_uncommitted", "max.poll.records", "500", "enable.idempotence", "false",
                    "acks", "1", "security.protocol", "SASL_SSL"), Map.of());

    @Test
    void aTransactionalProducerIsIdempotentWithAcksAllWhateverThePassThroughSays() {
        Properties p = kafka.transactionalProducer("generator-0", "generator");
        assertThat(p).containsEntry("transactional.id", "generator-0")
                .containsEntry("enable.idempotence", "true")
                .containsEntry("acks", "all")
                .containsEntry("security.protocol", "SASL_SSL");
    }

    @Test
    void aReadCommittedConsumerReadsCommittedBatchesOfTheGivenSize() {
        Properties p = kafka.readCommittedConsumer("generators", "generator", 16);
        assertThat(p).containsEntry("isolation.level", "read_committed")
                .containsEntry("max.poll.records", "16")
                .containsEntry("enable.auto.commit", "false")
                .containsEntry("group.id", "generators")
                .containsEntry("security.protocol", "SASL_SSL");
    }

    @Test
    void rawConsumersSkipAbortedRecordsUnlessToldOtherwise() {
        KafkaSettings plain = KafkaSettings.local("127.0.0.1:9092", "mock://settings");
        assertThat(plain.rawConsumer("g", "c")).containsEntry("isolation.level", "read_committed");
        assertThat(kafka.rawConsumer("g", "c")).containsEntry("isolation.level", "read_uncommitted");
    }
}

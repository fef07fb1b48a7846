package dev.odpo.kafka;

import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The same service loop against Apache Kafka's own container image, where Docker exists. Skipped (not
 * failed) where there is no Docker engine.
 */
@Testcontainers(disabledWithoutDocker = true)
class DeadLetterRoutingContainerTest {

    @Container
    static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.1.0");

    @Test
    void theServiceLoopRoutesDeadLettersOnARealKafkaContainer() throws Exception {
        DeadLetterScenario.run(KAFKA.getBootstrapServers());
    }
}

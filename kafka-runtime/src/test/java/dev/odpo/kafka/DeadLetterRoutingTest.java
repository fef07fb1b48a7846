package dev.odpo.kafka;

import dev.odpo.broker.EmbeddedKafkaExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Dead-letter routing against a real embedded Kafka broker. */
class DeadLetterRoutingTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void corruptAndInvalidRecordsGoToDeadLettersAndTheLoopKeepsConsuming() throws Exception {
        DeadLetterScenario.run(KAFKA.bootstrapServers());
    }
}

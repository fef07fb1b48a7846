package dev.odpo.kafka;

import com.github.dockerjava.api.exception.NotFoundException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The same service loop against Kafka in a container: Apache Kafka's own image, or the compatible local build of
 * it that ODPO_KAFKA_IMAGE names (.ci/docker-engine.sh builds one from Kafka's Maven artifacts where no image
 * registry can be reached). Skipped, with the reason, where no Docker engine runs or the image is not in the
 * local engine: the test pulls nothing unless ODPO_PULL_IMAGES=true.
 */
@Testcontainers(disabledWithoutDocker = true)
class DeadLetterRoutingContainerTest {

    static KafkaContainer kafka;
    static String skipReason;

    static DockerImageName kafkaImage() {
        String local = System.getenv("ODPO_KAFKA_IMAGE");
        return local == null || local.isBlank() ? DockerImageName.parse("apache/kafka:4.1.0")
                : DockerImageName.parse(local).asCompatibleSubstituteFor("apache/kafka");
    }

    @BeforeAll
    static void startKafka() {
        DockerImageName image = kafkaImage();
        if (!present(image) && !"true".equalsIgnoreCase(System.getenv("ODPO_PULL_IMAGES"))) {
            skipReason = image.asCanonicalNameString() + " is not in the local Docker engine and tests pull no image "
                    + "(set ODPO_PULL_IMAGES=true to allow it, or run .ci/docker-engine.sh start, which builds a "
                    + "local Kafka image and exports ODPO_KAFKA_IMAGE)";
            return;
        }
        kafka = new KafkaContainer(image);
        kafka.start();
    }

    @BeforeEach
    void kafkaIsHere() {
        Assumptions.assumeTrue(skipReason == null, () -> skipReason);
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.stop();
        }
    }

    static boolean present(DockerImageName image) {
        try {
            DockerClientFactory.instance().client().inspectImageCmd(image.asCanonicalNameString()).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    @Test
    void theServiceLoopRoutesDeadLettersOnARealKafkaContainer() throws Exception {
        DeadLetterScenario.run(kafka.getBootstrapServers());
    }
}

package dev.odpo.containers;

import com.github.dockerjava.api.exception.NotFoundException;
import java.util.Arrays;
import java.util.List;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.utility.DockerImageName;

/**
 * The images the container tests run, and the rule that they never pull one: an image that is not in the local
 * engine makes the test skip with the reason (odpo's CI reaches no image registry; .ci/docker-engine.sh builds local
 * stand-ins), unless ODPO_PULL_IMAGES=true allows Testcontainers to pull it.
 */
final class ContainerImages {

    /** Apache Kafka's image, or the compatible local build named by ODPO_KAFKA_IMAGE. */
    static DockerImageName kafka() {
        String local = System.getenv("ODPO_KAFKA_IMAGE");
        return local == null || local.isBlank() ? DockerImageName.parse("apache/kafka:4.1.0")
                : DockerImageName.parse(local).asCompatibleSubstituteFor("apache/kafka");
    }

    /** Why a test cannot run here, or null when every image is in the local engine (or may be pulled). */
    static String missing(DockerImageName... images) {
        if ("true".equalsIgnoreCase(System.getenv("ODPO_PULL_IMAGES"))) {
            return null;
        }
        List<String> missing = Arrays.stream(images).map(DockerImageName::asCanonicalNameString)
                .filter(name -> !present(name)).toList();
        return missing.isEmpty() ? null : "not in the local Docker engine: " + String.join(", ", missing)
                + "; tests pull no image (set ODPO_PULL_IMAGES=true to allow it, or run .ci/docker-engine.sh start, "
                + "which builds local stand-ins and exports ODPO_BASE_IMAGE and ODPO_KAFKA_IMAGE)";
    }

    private static boolean present(String name) {
        try {
            DockerClientFactory.instance().client().inspectImageCmd(name).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    private ContainerImages() {
    }
}

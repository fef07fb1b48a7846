package dev.odpo.containers;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Volume;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.output.Slf4jLogConsumer;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.utility.DockerImageName;

/**
 * The project image, built from {@code docker/Dockerfile} with {@code JARS=host}: the build context is the
 * Dockerfile, its health check, the examples and the jars this Maven build packaged (the module's runtime
 * dependencies, copied by the dependency plugin). Base images come from ODPO_BASE_IMAGE (both stages) or default
 * to the Dockerfile's own.
 */
final class ProjectImage {

    static final String TAG = "odpo/odpo:it";
    static final int REGISTRY_PORT = 8081;

    private final String name;

    private ProjectImage(String name) {
        this.name = name;
    }

    static DockerImageName buildImage() {
        String base = System.getenv("ODPO_BASE_IMAGE");
        return DockerImageName.parse(base == null || base.isBlank() ? "eclipse-temurin:17-jdk" : base);
    }

    static DockerImageName runtimeImage() {
        String base = System.getenv("ODPO_BASE_IMAGE");
        return DockerImageName.parse(base == null || base.isBlank() ? "eclipse-temurin:17-jre" : base);
    }

    /** Builds (or, with an unchanged context, reuses the engine's cached layers for) the image. */
    static ProjectImage build() {
        Path root = Path.of(System.getProperty("odpo.repository.root", "..")).toAbsolutePath().normalize();
        Path lib = Path.of(System.getProperty("odpo.image.lib", "target/image-lib")).toAbsolutePath();
        if (!Files.isDirectory(lib)) {
            throw new IllegalStateException("no jars to package in " + lib + ": run this test through Maven (verify)");
        }
        String name = new ImageFromDockerfile(TAG, false)
                .withFileFromPath("docker/Dockerfile", root.resolve("docker/Dockerfile"))
                .withFileFromPath("docker/healthcheck", root.resolve("docker/healthcheck"))
                .withFileFromPath("docker/lib", lib)
                .withFileFromPath("examples", root.resolve("examples"))
                .withDockerfilePath("docker/Dockerfile")
                .withBuildArg("JARS", "host")
                .withBuildArg("BUILD_IMAGE", buildImage().asCanonicalNameString())
                .withBuildArg("RUNTIME_IMAGE", runtimeImage().asCanonicalNameString())
                .get();
        return new ProjectImage(name);
    }

    /** odpo's schema registry, run from this image the way Confluent's image is configured. */
    GenericContainer<?> schemaRegistry(Network network, String bootstrapServers) {
        return new GenericContainer<>(DockerImageName.parse(name))
                .withNetwork(network).withNetworkAliases("schema-registry")
                .withEnv("ODPO_MAIN", "dev.odpo.registry.server.Main")
                .withEnv("ODPO_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC")
                .withEnv("ODPO_HEALTH_URL", "http://127.0.0.1:" + REGISTRY_PORT + "/subjects")
                .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:" + REGISTRY_PORT)
                .withEnv("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://" + bootstrapServers)
                .withExposedPorts(REGISTRY_PORT)
                .withLogConsumer(log("schema-registry"))
                .waitingFor(Wait.forHttp("/subjects").forStatusCode(200).withStartupTimeout(Duration.ofMinutes(3)));
    }

    /** A long-running container of the image (a service), sharing the given named volumes. */
    GenericContainer<?> service(String alias, Network network, Map<String, String> volumes, Map<String, String> env,
                                String... command) {
        return new GenericContainer<>(DockerImageName.parse(name))
                .withNetwork(network).withNetworkAliases(alias)
                .withEnv(env)
                .withCommand(command)
                .withCreateContainerCmdModifier(cmd -> mount(cmd, volumes))
                .withLogConsumer(log(alias));
    }

    /** Runs the odpo command line in a container of the image and waits for it to exit 0. */
    void runToCompletion(String alias, Network network, Map<String, String> volumes, Map<String, String> env,
                         String... command) {
        try (GenericContainer<?> once = new GenericContainer<>(DockerImageName.parse(name))
                .withNetwork(network)
                .withEnv(env)
                .withCommand(command)
                .withCreateContainerCmdModifier(cmd -> mount(cmd, volumes))
                .withLogConsumer(log(alias))
                .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(Duration.ofMinutes(6)))) {
            once.start();
        }
    }

    /** Removes the named volumes the containers shared (Testcontainers removes only what it created). */
    void removeVolumes(Set<String> volumes) {
        for (String v : volumes) {
            try {
                DockerClientFactory.instance().client().removeVolumeCmd(v).exec();
            } catch (RuntimeException e) {
                LoggerFactory.getLogger(ProjectImage.class).warn("could not remove volume {}: {}", v, e.getMessage());
            }
        }
    }

    private static void mount(CreateContainerCmd cmd, Map<String, String> volumes) {
        cmd.getHostConfig().withBinds(volumes.entrySet().stream()
                .map(e -> new Bind(e.getKey(), new Volume(e.getValue()))).toList());
    }

    private static Slf4jLogConsumer log(String alias) {
        return new Slf4jLogConsumer(LoggerFactory.getLogger("tc." + alias));
    }
}

package dev.odpo.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.kafka.config.KafkaSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceLauncherTest {

    final ServiceLauncher launcher = new ServiceLauncher("demo", "Consumes demo records.", KafkaSettings.SETTINGS);
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    int launch(Map<String, String> env, String... args) {
        return launcher.launch(args, env, values -> {
            throw new AssertionError("must not build the service");
        }, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void invalidSettingsStopTheStartWithExitCode2NamingTheSetting() {
        int code = launch(Map.of("ODPO_TOPIC_PARTITIONS", "many"));
        assertThat(code).isEqualTo(ServiceLauncher.EXIT_CONFIG);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("'topic.partitions'", "'many'", "--help");
    }

    @Test
    void helpPrintsEverySetting() {
        assertThat(launch(Map.of(), "--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("Usage: demo", "Consumes demo records.",
                "ODPO_BOOTSTRAP_SERVERS", "ODPO_SCHEMA_REGISTRY_URL", "--config");
    }

    @Test
    void anUnknownArgumentIsRefused() {
        assertThat(launch(Map.of(), "--frobnicate")).isEqualTo(ServiceLauncher.EXIT_CONFIG);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown argument '--frobnicate'");
    }

    @Test
    void aServiceThatCannotBeBuiltFromItsFilesStopsTheStartWithOneLineAndNoStackTrace() {
        java.util.function.Function<dev.odpo.kafka.config.ConfigValues, Service> unloadable = values -> {
            throw new java.io.UncheckedIOException("cannot load the reward model",
                    new java.io.IOException("/models/rm: no such directory"));
        };
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        // no broker is asked anything: the service is built before the topics are created
        Map<String, String> env = Map.of("ODPO_BOOTSTRAP_SERVERS", "127.0.0.1:1");

        assertThat(launcher.launch(new String[0], env, unloadable, outStream, errStream)).isEqualTo(ServiceLauncher.EXIT_CONFIG);
        assertThat(err.toString(StandardCharsets.UTF_8).strip().lines())
                .containsExactly("demo: cannot start: cannot load the reward model: /models/rm: no such directory");

        err.reset();
        Map<String, String> debugging = Map.of("ODPO_BOOTSTRAP_SERVERS", "127.0.0.1:1", "ODPO_DEBUG", "1");
        assertThat(launcher.launch(new String[0], debugging, unloadable, outStream, errStream)).isEqualTo(ServiceLauncher.EXIT_CONFIG);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("\tat ");
    }
}

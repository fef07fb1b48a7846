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
}

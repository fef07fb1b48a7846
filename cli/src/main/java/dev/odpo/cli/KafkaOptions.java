package dev.odpo.cli;

import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.kafka.config.Setting;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Where Kafka and the registry are, for commands that talk to them. Values come from the same settings as
 * the services (ODPO_* environment variables, a --config properties file, defaults: 127.0.0.1:9092 and
 * http://127.0.0.1:8081); an option given here wins.
 */
public final class KafkaOptions {

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers (default: ODPO_BOOTSTRAP_SERVERS or 127.0.0.1:9092).")
    String bootstrapServers;

    @Option(names = "--registry-url", paramLabel = "URL",
            description = "Schema registry URL (default: ODPO_SCHEMA_REGISTRY_URL or http://127.0.0.1:8081).")
    String registryUrl;

    @Option(names = "--topic-prefix", paramLabel = "PREFIX",
            description = "Prefix of every topic name (default: ODPO_TOPIC_PREFIX or odpo.).")
    String topicPrefix;

    @Option(names = "--config", paramLabel = "FILE",
            description = "A properties file with settings, e.g. kafka.security.protocol=SASL_SSL (or set ODPO_CONFIG_FILE).")
    Path configFile;

    /** The settings, options over environment over file over defaults; fails naming a bad setting. */
    KafkaSettings settings() {
        Map<String, String> env = System.getenv();
        Path file = configFile();
        Map<String, String> merged = new java.util.HashMap<>(env);
        override(merged, KafkaSettings.BOOTSTRAP_SERVERS, bootstrapServers);
        override(merged, KafkaSettings.REGISTRY_URL, registryUrl);
        override(merged, KafkaSettings.TOPIC_PREFIX, topicPrefix);
        List<Setting<?>> settings = new ArrayList<>(KafkaSettings.SETTINGS);
        // A service's properties file also holds that service's own settings: read only the shared ones.
        return KafkaSettings.from(ConfigValues.load(settings, merged, file, false));
    }

    /** The properties file with settings: --config, else ODPO_CONFIG_FILE, else none (null). */
    Path configFile() {
        String fromEnv = System.getenv(ConfigValues.CONFIG_FILE_ENV);
        if (configFile == null && fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv);
        }
        return configFile;
    }

    private static void override(Map<String, String> env, Setting<?> setting, String value) {
        if (value != null) {
            env.put(setting.envVar(), value);
        }
    }
}

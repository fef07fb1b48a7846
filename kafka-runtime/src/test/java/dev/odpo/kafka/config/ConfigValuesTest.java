package dev.odpo.kafka.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigValuesTest {

    static final Setting<Integer> BATCH = Setting.integer("service.batch.size", 8, 1, 64, "Prompts per batch.");
    static final Setting<Duration> POLL = Setting.duration("service.poll.timeout", "500ms", "Poll timeout.");
    static final Setting<String> POLICY = Setting.string("service.policy.name", null, "The policy to serve.").required();

    static List<Setting<?>> settings() {
        List<Setting<?>> all = new ArrayList<>(KafkaSettings.SETTINGS);
        all.addAll(List.of(BATCH, POLL, POLICY));
        return all;
    }

    @TempDir
    Path dir;

    Path file(String... lines) throws IOException {
        Path f = dir.resolve("service.properties");
        Files.write(f, List.of(lines));
        return f;
    }

    @Test
    void anInvalidValueFailsNamingTheSettingItsSourceAndTheValue() {
        assertThatThrownBy(() -> ConfigValues.load(settings(),
                Map.of("ODPO_SERVICE_BATCH_SIZE", "lots", "ODPO_SERVICE_POLICY_NAME", "p"), null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'service.batch.size'")
                .hasMessageContaining("'lots'")
                .hasMessageContaining("ODPO_SERVICE_BATCH_SIZE")
                .hasMessageContaining("not an integer");
    }

    @Test
    void aValueOutOfRangeFailsWithTheAllowedRange() throws IOException {
        Path f = file("service.batch.size=100", "service.policy.name=p");
        assertThatThrownBy(() -> ConfigValues.load(settings(), Map.of(), f))
                .hasMessageContaining("'service.batch.size'")
                .hasMessageContaining("'100'")
                .hasMessageContaining(f.toString())
                .hasMessageContaining("between 1 and 64");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> ConfigValues.load(settings(), Map.of(
                        "ODPO_BOOTSTRAP_SERVERS", "localhost",
                        "ODPO_SCHEMA_REGISTRY_URL", "ftp://registry",
                        "ODPO_TOPIC_PARTITIONS", "0",
                        "ODPO_SERVICE_POLL_TIMEOUT", "soon"), null));
        assertThat(e.problems()).hasSize(5);
        assertThat(String.join("\n", e.problems()))
                .contains("'bootstrap.servers'", "host:port")
                .contains("'schema.registry.url'", "http://")
                .contains("'topic.partitions'", "'0'")
                .contains("'service.poll.timeout'", "'soon'", "not a duration")
                .contains("missing required setting 'service.policy.name'", "ODPO_SERVICE_POLICY_NAME");
    }

    @Test
    void anUnknownSettingInTheFileFailsLoudly() throws IOException {
        Path f = file("service.batch.sise=4", "service.policy.name=p");
        assertThatThrownBy(() -> ConfigValues.load(settings(), Map.of(), f))
                .hasMessageContaining("unknown setting 'service.batch.sise'")
                .hasMessageContaining("service.batch.size");
    }

    @Test
    void aMissingPropertiesFileFailsNamingIt() {
        Path missing = dir.resolve("nope.properties");
        assertThatThrownBy(() -> ConfigValues.load(settings(), Map.of(), missing))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void environmentBeatsPropertiesFileBeatsDefault() throws IOException {
        Path f = file("service.batch.size=16", "service.poll.timeout=2s", "service.policy.name=from-file");
        ConfigValues v = ConfigValues.load(settings(), Map.of("ODPO_SERVICE_BATCH_SIZE", "32"), f);

        assertThat(v.get(BATCH)).isEqualTo(32);
        assertThat(v.sourceOf(BATCH)).isEqualTo("environment variable ODPO_SERVICE_BATCH_SIZE");
        assertThat(v.get(POLL)).isEqualTo(Duration.ofSeconds(2));
        assertThat(v.sourceOf(POLL)).contains(f.toString());
        assertThat(v.get(POLICY)).isEqualTo("from-file");
        assertThat(v.get(KafkaSettings.TOPIC_PARTITIONS)).isEqualTo(3);
        assertThat(v.sourceOf(KafkaSettings.TOPIC_PARTITIONS)).isEqualTo("default");
    }

    @Test
    void saslAndSslSettingsPassThroughToEveryKafkaClient() throws IOException {
        String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"s3cret\";";
        Path f = file("service.policy.name=p",
                "kafka.security.protocol=SASL_PLAINTEXT",
                "kafka.sasl.mechanism=SCRAM-SHA-256",
                "kafka.ssl.truststore.location=/etc/file.jks",
                "registry.basic.auth.credentials.source=USER_INFO");
        Map<String, String> env = Map.of(
                "ODPO_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",          // the environment wins over the file
                "ODPO_KAFKA_SASL_MECHANISM", "PLAIN",
                "ODPO_KAFKA_SASL_JAAS_CONFIG", jaas,
                "ODPO_REGISTRY_BASIC_AUTH_USER_INFO", "user:pw");
        ConfigValues v = ConfigValues.load(settings(), env, f);
        KafkaSettings kafka = KafkaSettings.from(v);

        for (Properties p : List.of(kafka.rawConsumer("g", "c"), kafka.rawProducer("c"), kafka.admin("c"), kafka.streams("app"))) {
            assertThat(p.getProperty("security.protocol")).isEqualTo("SASL_SSL");
            assertThat(p.getProperty("sasl.mechanism")).isEqualTo("PLAIN");
            assertThat(p.getProperty("sasl.jaas.config")).isEqualTo(jaas);
            assertThat(p.getProperty("ssl.truststore.location")).isEqualTo("/etc/file.jks");
            assertThat(p.getProperty("bootstrap.servers")).isEqualTo("127.0.0.1:9092");
        }
        assertThat(kafka.serdeConfig())
                .containsEntry("basic.auth.credentials.source", "USER_INFO")
                .containsEntry("basic.auth.user.info", "user:pw")
                .containsEntry("schema.registry.url", "http://127.0.0.1:8081");
        // Credentials never reach the start-up log.
        assertThat(v.summary()).doesNotContain("s3cret").doesNotContain("user:pw").contains("sasl.mechanism = PLAIN");
    }

    @Test
    void consumersAlwaysReadRawBytesWithManualCommitsWhateverIsPassedThrough() {
        ConfigValues v = ConfigValues.load(settings(), Map.of("ODPO_SERVICE_POLICY_NAME", "p",
                "ODPO_KAFKA_ENABLE_AUTO_COMMIT", "true", "ODPO_KAFKA_MAX_POLL_RECORDS", "17"), null);
        Properties p = KafkaSettings.from(v).rawConsumer("g", "c");
        assertThat(p.getProperty("enable.auto.commit")).isEqualTo("false");
        assertThat(p.getProperty("max.poll.records")).isEqualTo("17");
        assertThat(p.getProperty("value.deserializer")).endsWith("ByteArrayDeserializer");
    }

    @Test
    void durationsAcceptUnitsAndIso() {
        assertThat(Setting.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Setting.parseDuration("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Setting.parseDuration("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Setting.parseDuration("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(Setting.parseDuration("PT1H")).isEqualTo(Duration.ofHours(1));
        assertThatThrownBy(() -> Setting.parseDuration("5 fortnights")).hasMessageContaining("not a duration");
    }

    @Test
    void describeListsEverySettingWithItsVariableDefaultAndDescription() {
        String help = ConfigValues.describe(settings());
        for (Setting<?> s : settings()) {
            assertThat(help).contains(s.name(), s.envVar(), s.description());
        }
        assertThat(help).contains("(required)").contains("ODPO_KAFKA_").contains("SASL");
    }
}

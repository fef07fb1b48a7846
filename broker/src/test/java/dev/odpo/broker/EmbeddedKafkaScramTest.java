package dev.odpo.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded broker with SCRAM users: a client that logs in with a user's password (SHA-256 or SHA-512) works —
 * a transactional producer too, whose markers go over the broker's own loopback listener — a wrong password is
 * refused with an authentication error, and the password is written nowhere in the data directory.
 */
class EmbeddedKafkaScramTest {

    private static final String PASSWORD = "scram-pa\"ss-w0rd";

    @TempDir
    Path dataDir;

    @Test
    void clientsLogInWithTheirPasswordAndAWrongOneIsRefused() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(0).dataDir(dataDir).scramUser("odpo", PASSWORD).build()) {
            kafka.start();
            assertThat(kafka.secured()).isTrue();

            for (String mechanism : EmbeddedKafka.SCRAM_MECHANISMS) {
                try (Admin admin = Admin.create(client(kafka, mechanism, PASSWORD))) {
                    admin.createTopics(List.of(new NewTopic("t-" + mechanism, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
                }
            }
            Map<String, Object> tx = client(kafka, "SCRAM-SHA-512", PASSWORD);
            tx.put("transactional.id", "scram-tx");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(tx, new StringSerializer(), new StringSerializer())) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("t-SCRAM-SHA-512", "k", "v"));
                producer.commitTransaction();
            }

            try (Admin wrong = Admin.create(client(kafka, "SCRAM-SHA-256", "not-the-password"))) {
                assertThatThrownBy(() -> wrong.listTopics().names().get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SaslAuthenticationException.class);
            }
            Map<String, Object> plain = new HashMap<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                    "request.timeout.ms", "3000", "default.api.timeout.ms", "5000"));
            try (Admin unauthenticated = Admin.create(plain)) {
                assertThatThrownBy(() -> unauthenticated.listTopics().names().get(10, TimeUnit.SECONDS))
                        .as("a client without SASL").isNotNull();
            }
        }
        try (Stream<Path> files = Files.walk(dataDir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertThat(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1))
                        .as("%s", f).doesNotContain("scram-pa");
            }
        }
    }

    @Test
    void theBuilderRefusesAUserWithoutAPassword() {
        assertThatThrownBy(() -> EmbeddedKafka.builder().scramUser("odpo", "")).hasMessageContaining("needs a password");
        assertThatThrownBy(() -> EmbeddedKafka.builder().scramUser("a=b", "x")).hasMessageContaining("user name");
    }

    private static Map<String, Object> client(EmbeddedKafka kafka, String mechanism, String password) {
        return new HashMap<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "security.protocol", "SASL_PLAINTEXT",
                "sasl.mechanism", mechanism, "sasl.jaas.config", EmbeddedKafka.scramJaasConfig("odpo", password),
                "default.api.timeout.ms", String.valueOf(Duration.ofSeconds(30).toMillis())));
    }
}

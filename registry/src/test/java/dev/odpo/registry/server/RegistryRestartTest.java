package dev.odpo.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.odpo.broker.EmbeddedKafka;
import dev.odpo.events.Prompt;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import dev.odpo.registry.client.RestSchemaRegistryClient;
import dev.odpo.registry.client.SchemaRegistryClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Schemas live in the broker's compacted topic: a registry restarted (with its broker) keeps every id. */
class RegistryRestartTest {

    @TempDir
    Path dataDir;

    @Test
    void idsVersionsAndConfigSurviveARestartOfRegistryAndBroker() {
        int promptId;
        int sampleId;
        // Given a registry holding two schemas, one in two subjects, and a subject-level config
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(0).dataDir(dataDir).build()) {
            kafka.start();
            try (SchemaRegistryServer server = start(kafka)) {
                SchemaRegistryClient client = client(server);
                promptId = client.register("odpo.prompts-value", Prompt.getClassSchema());
                sampleId = client.register("odpo.samples-value", Sample.getClassSchema());
                client.register("copy-value", Prompt.getClassSchema());
                client.setCompatibility("odpo.samples-value", "FULL");
                client.setGlobalCompatibility("FORWARD");
                server.close(); // closing twice (here and by try-with-resources) is harmless
            }
        }

        // When broker and registry start again on the same data
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(0).dataDir(dataDir).build()) {
            kafka.start();
            try (SchemaRegistryServer server = start(kafka)) {
                SchemaRegistryClient client = client(server);

                // Then ids, subjects, versions and levels are as they were
                assertThat(client.subjects()).containsExactly("copy-value", "odpo.prompts-value", "odpo.samples-value");
                assertThat(client.getById(promptId)).isEqualTo(Prompt.getClassSchema());
                assertThat(client.getById(sampleId)).isEqualTo(Sample.getClassSchema());
                assertThat(client.register("odpo.prompts-value", Prompt.getClassSchema())).isEqualTo(promptId);
                assertThat(client.lookup("copy-value", Prompt.getClassSchema()).id()).isEqualTo(promptId);
                assertThat(client.compatibility("odpo.samples-value")).isEqualTo("FULL");
                assertThat(client.globalCompatibility()).isEqualTo("FORWARD");
                // and a new schema does not reuse an old id
                assertThat(client.register("odpo.scores-value", Score.getClassSchema())).isNotIn(promptId, sampleId);
            }
        }
    }

    @Test
    void aSchemaTopicThatIsNotCompactedIsRefused() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(0).dataDir(dataDir).build()) {
            kafka.start();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("_expiring", 1, (short) 1)
                        .configs(Map.of("cleanup.policy", "delete")))).all().get();
            }
            assertThatThrownBy(() -> SchemaRegistryServer.start(
                    new SchemaRegistryServer.Config("127.0.0.1", 0, kafka.bootstrapServers(), "_expiring", "BACKWARD")))
                    .hasMessageContaining("cleanup.policy=delete").hasMessageContaining("must be compact");
        }
    }

    private static SchemaRegistryServer start(EmbeddedKafka kafka) {
        return SchemaRegistryServer.start(new SchemaRegistryServer.Config("127.0.0.1", 0, kafka.bootstrapServers(), "_schemas", "BACKWARD"));
    }

    private static SchemaRegistryClient client(SchemaRegistryServer server) {
        return new RestSchemaRegistryClient(List.of(server.url()), null);
    }
}

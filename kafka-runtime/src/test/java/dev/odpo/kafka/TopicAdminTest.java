package dev.odpo.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.kafka.TopicAdmin.Outcome;
import dev.odpo.kafka.TopicAdmin.TopicState;
import dev.odpo.kafka.config.KafkaSettings;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class TopicAdminTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void creatingTopicsTwiceCreatesThemOnceWithTheirDeclaredSettings() {
        KafkaSettings kafka = KafkaSettings.local(KAFKA.bootstrapServers(), "mock://topic-admin").withPartitions(2);
        Topics topics = kafka.topics();
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            // Given nothing, when a service starts: every topic is created.
            Map<String, Outcome> first = admin.createMissing(topics.all());
            assertThat(first.values()).containsOnly(Outcome.CREATED).hasSize(topics.all().size());

            // When a second service (or a restart) does the same: nothing changes.
            Map<String, Outcome> second = admin.createMissing(topics.all());
            assertThat(second.values()).containsOnly(Outcome.EXISTED).hasSize(topics.all().size());

            // Then the broker holds them as declared.
            List<TopicState> states = admin.describe(topics.all());
            assertThat(states).allMatch(TopicState::exists).allMatch(TopicState::partitionsMatch);
            TopicState pairs = find(states, "odpo.pairs");
            assertThat(pairs.partitions()).isEqualTo(2);
            assertThat(pairs.retentionMs()).isEqualTo("-1");
            TopicState checkpoints = find(states, "odpo.checkpoints");
            assertThat(checkpoints.cleanupPolicy()).isEqualTo("compact,delete");
            assertThat(checkpoints.partitions()).isEqualTo(1);
        }
    }

    @Test
    void describeReportsTopicsThatDoNotExist() {
        KafkaSettings kafka = KafkaSettings.local(KAFKA.bootstrapServers(), "mock://topic-admin").withTopicPrefix("absent.");
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            assertThat(admin.describe(kafka.topics().all())).noneMatch(TopicState::exists);
        }
    }

    private static TopicState find(List<TopicState> states, String name) {
        return states.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }
}

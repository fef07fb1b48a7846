package dev.odpo.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicsTest {

    final Topics topics = Topics.create("acme.", 6, Map.of("schema.registry.url", "mock://topics-test"));

    @Test
    void perPromptTopicsShareOnePartitionCountSoTheyAreCoPartitioned() {
        assertThat(topics.perPromptTopics()).extracting(Topic::partitions).containsOnly(6);
        assertThat(topics.perPromptTopics()).extracting(Topic::name)
                .containsExactly("acme.prompts", "acme.samples", "acme.scores", "acme.feedback", "acme.pairs");
    }

    @Test
    void everyNameCarriesThePrefixAndIsUnique() {
        assertThat(topics.all()).extracting(Topic::name).allMatch(n -> n.startsWith("acme.")).doesNotHaveDuplicates();
        assertThat(topics.shortNames()).contains("learner-metrics", "dead-letters");
    }

    @Test
    void pairsAreKeptForeverAndCheckpointsAreCompacted() {
        assertThat(topics.pairs().retentionMs()).isEqualTo(-1);
        assertThat(topics.checkpoints().cleanupPolicy()).isEqualTo("compact,delete");
        assertThat(topics.checkpoints().isCompacted()).isTrue();
        assertThat(topics.prompts().isCompacted()).isFalse();
    }

    @Test
    void topicsAreFoundByFullOrShortName() {
        assertThat(topics.find("samples")).containsSame(topics.samples());
        assertThat(topics.find("acme.dead-letters")).containsSame(topics.deadLetters());
        assertThat(topics.find("nope")).isEmpty();
    }

    @Test
    void theSerdesRoundTripAnEvent() {
        var p = DeadLetterScenario.prompt("p-1", "hello");
        byte[] bytes = topics.prompts().valueSerde().serializer().serialize(topics.prompts().name(), p);
        assertThat(bytes[0]).as("Confluent magic byte").isEqualTo((byte) 0);
        assertThat(topics.prompts().valueSerde().deserializer().deserialize(topics.prompts().name(), bytes)).isEqualTo(p);
    }

    @Test
    void aRegistryUrlIsRequired() {
        assertThatThrownBy(() -> Topics.create("odpo.", 3, Map.of())).hasMessageContaining("schema.registry.url");
    }
}

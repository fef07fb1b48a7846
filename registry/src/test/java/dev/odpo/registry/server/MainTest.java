package dev.odpo.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MainTest {

    @Test
    void readsConfluentsImageSettings() {
        SchemaRegistryServer.Config c = Main.config(Map.of(
                "SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8085",
                "SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://kafka:9092,PLAINTEXT://kafka2:9092",
                "SCHEMA_REGISTRY_KAFKASTORE_TOPIC", "_odpo_schemas",
                "SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL", "full"));
        assertThat(c.host()).isEqualTo("0.0.0.0");
        assertThat(c.port()).isEqualTo(8085);
        assertThat(c.bootstrapServers()).isEqualTo("kafka:9092,kafka2:9092");
        assertThat(c.topic()).isEqualTo("_odpo_schemas");
        assertThat(c.defaultCompatibility()).isEqualTo("FULL");
    }

    @Test
    void defaultsAreConfluents() {
        SchemaRegistryServer.Config c = Main.config(Map.of("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "kafka:9092"));
        assertThat(c.port()).isEqualTo(8081);
        assertThat(c.topic()).isEqualTo("_schemas");
        assertThat(c.defaultCompatibility()).isEqualTo("BACKWARD");
    }

    @Test
    void refusesMissingKafkaAndBadListenersNamingTheVariable() {
        assertThatThrownBy(() -> Main.config(Map.of()))
                .hasMessageStartingWith("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS");
        assertThatThrownBy(() -> Main.config(Map.of("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "kafka:9092",
                "SCHEMA_REGISTRY_LISTENERS", "https://0.0.0.0:8081")))
                .hasMessageStartingWith("SCHEMA_REGISTRY_LISTENERS");
        assertThatThrownBy(() -> Main.config(Map.of("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "kafka:9092",
                "SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL", "sideways")))
                .hasMessageStartingWith("SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL");
    }
}

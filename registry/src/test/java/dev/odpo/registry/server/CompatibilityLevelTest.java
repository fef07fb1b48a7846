package dev.odpo.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.odpo.registry.client.SchemaRegistryException;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class CompatibilityLevelTest {

    // v1: {a}; v2: {a, b with default}; v3: {b with default} (drops a, which v1 readers need)
    static final Schema V1 = record("{\"name\":\"a\",\"type\":\"string\"}");
    static final Schema V2 = record("{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":\"int\",\"default\":0}");
    static final Schema V3 = record("{\"name\":\"b\",\"type\":\"int\",\"default\":0}");
    static final Schema REQUIRED_C = record("{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"c\",\"type\":\"int\"}");

    @Test
    void backwardMeansTheNewSchemaReadsOldData() {
        assertThat(CompatibilityLevel.BACKWARD.violations(V2, List.of(V1))).isEmpty();
        // A new required field without a default cannot be filled from old data.
        assertThat(CompatibilityLevel.BACKWARD.violations(REQUIRED_C, List.of(V1)))
                .singleElement().asString().contains("READER_FIELD_MISSING_DEFAULT").contains("c");
    }

    @Test
    void forwardMeansOldReadersReadNewData() {
        assertThat(CompatibilityLevel.FORWARD.violations(REQUIRED_C, List.of(V1))).isEmpty();
        assertThat(CompatibilityLevel.FORWARD.violations(V3, List.of(V2))).isNotEmpty(); // v2 readers need a
        assertThat(CompatibilityLevel.FULL.violations(REQUIRED_C, List.of(V1))).isNotEmpty();
        assertThat(CompatibilityLevel.FULL.violations(V2, List.of(V1))).isEmpty();
    }

    @Test
    void transitiveLevelsCheckEveryEarlierVersionNotOnlyTheLatest() {
        // v2 readers can read v3 data, but v1 readers cannot: v3's x is an int where v1 expects a string.
        Schema v1 = record("{\"name\":\"x\",\"type\":\"string\"}");
        Schema v2 = record("{\"name\":\"y\",\"type\":\"int\",\"default\":1}");
        Schema v3 = record("{\"name\":\"y\",\"type\":\"int\",\"default\":1},{\"name\":\"x\",\"type\":\"int\"}");
        assertThat(CompatibilityLevel.FORWARD.violations(v3, List.of(v1, v2))).isEmpty();
        assertThat(CompatibilityLevel.FORWARD_TRANSITIVE.violations(v3, List.of(v1, v2))).isNotEmpty();
        assertThat(CompatibilityLevel.NONE.violations(v3, List.of(v1, v2))).isEmpty();
    }

    @Test
    void unknownLevelNamesAreRejectedWithTheValidOnes() {
        assertThat(CompatibilityLevel.parse("full_transitive")).isEqualTo(CompatibilityLevel.FULL_TRANSITIVE);
        assertThatThrownBy(() -> CompatibilityLevel.parse("SIDEWAYS"))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("SIDEWAYS").hasMessageContaining("BACKWARD_TRANSITIVE")
                .extracting(e -> ((SchemaRegistryException) e).errorCode()).isEqualTo(42203);
    }

    static Schema record(String fields) {
        return new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":[" + fields + "]}");
    }
}

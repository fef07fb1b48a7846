package dev.odpo.pairs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.odpo.kafka.config.ConfigException;
import dev.odpo.kafka.config.ConfigValues;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class PairBuilderSettingsTest {

    private static PairBuilderSettings load(Map<String, String> env) {
        return PairBuilderSettings.from(ConfigValues.load(PairBuilderSettings.SETTINGS, env, null));
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        PairBuilderSettings settings = load(Map.of());
        assertThat(settings.pairing()).isEqualTo(PairBuilderConfig.defaults());
        assertThat(settings.applicationId()).isEqualTo("odpo-pair-builder");
        assertThat(settings.stateDir()).isNull();
        assertThat(settings.threads()).isEqualTo(1);
    }

    @Test
    void environmentVariablesSetEveryRule() {
        PairBuilderSettings settings = load(Map.of(
                "ODPO_PAIR_BUILDER_SELECTION", "pilaf",
                "ODPO_PAIR_BUILDER_SCORERS", "reward-model:rm,length-penalty",
                "ODPO_PAIR_BUILDER_MIN_MARGIN", "0.25",
                "ODPO_PAIR_BUILDER_LENGTH_PENALTY", "0.001",
                "ODPO_PAIR_BUILDER_LENGTH_UNIT", "tokens",
                "ODPO_PAIR_BUILDER_GROUP_TIMEOUT", "90s",
                "ODPO_PAIR_BUILDER_SAMPLE_RETENTION", "2d",
                "ODPO_PAIR_BUILDER_STATE_DIR", "/var/lib/odpo/pairs"));
        PairBuilderConfig c = settings.pairing();
        assertThat(c.selection()).isEqualTo(SelectionRule.PILAF);
        assertThat(c.scorers().scorers()).containsExactly("reward-model:rm", "length-penalty");
        assertThat(c.minMargin()).isEqualTo(0.25);
        assertThat(c.lengthPenalty()).isEqualTo(0.001);
        assertThat(c.lengthUnit()).isEqualTo(LengthUnit.TOKENS);
        assertThat(c.groupTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.sampleRetention()).isEqualTo(Duration.ofDays(2));
        assertThat(settings.stateDir()).isEqualTo(Path.of("/var/lib/odpo/pairs"));
    }

    @Test
    void badValuesAreNamedWithTheSettingAndTheValue() {
        assertThatThrownBy(() -> load(Map.of(
                "ODPO_PAIR_BUILDER_SELECTION", "best-of",
                "ODPO_PAIR_BUILDER_MIN_MARGIN", "-1",
                "ODPO_PAIR_BUILDER_GROUP_TIMEOUT", "0s")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'best-of' for setting 'pair-builder.selection'")
                .hasMessageContaining("unknown selection rule 'best-of' (expected one of max-min, max-random, pilaf)")
                .hasMessageContaining("'-1' for setting 'pair-builder.min.margin'")
                .hasMessageContaining("'0s' for setting 'pair-builder.group.timeout'");
    }

    @Test
    void streamsAlwaysRunExactlyOnceWithoutRecordCache() {
        PairBuilderSettings settings = load(Map.of("ODPO_KAFKA_PROCESSING_GUARANTEE", "at_least_once"));
        Properties p = new PairBuilderService(settings).streamsProperties();
        assertThat(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
        assertThat(p.get(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG)).isEqualTo(0);
        assertThat(p.get(StreamsConfig.APPLICATION_ID_CONFIG)).isEqualTo("odpo-pair-builder");
    }
}

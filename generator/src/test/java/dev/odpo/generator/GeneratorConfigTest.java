package dev.odpo.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.odpo.kafka.config.ConfigException;
import dev.odpo.kafka.config.ConfigValues;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GeneratorConfigTest {

    static GeneratorConfig load(Map<String, String> env) {
        return GeneratorConfig.from(ConfigValues.load(GeneratorConfig.SETTINGS, env, null));
    }

    @Test
    void defaultsSampleEightResponsesFromThePolicyNamedPolicy() {
        GeneratorConfig c = load(Map.of("ODPO_GENERATOR_ID", "g-0"));
        assertThat(c.policyName()).isEqualTo("policy");
        assertThat(c.generatorId()).isEqualTo("g-0");
        assertThat(c.sampling().n()).isEqualTo(8);
        assertThat(c.sampling().sampler()).isEqualTo(SamplerChoice.VANILLA);
        assertThat(c.sampling().options().temperature()).isEqualTo(1.0);
        assertThat(c.sampling().options().stopStrings()).isEmpty();
        assertThat(c.batchSize()).isEqualTo(8);
    }

    @Test
    void anEmptyGeneratorIdFallsBackToTheHostName() {
        assertThat(load(Map.of()).generatorId()).startsWith("generator-").hasSizeGreaterThan("generator-".length());
    }

    @Test
    void everySamplingSettingIsRead() {
        Map<String, String> env = new HashMap<>();
        env.put("ODPO_GENERATOR_N", "4");
        env.put("ODPO_GENERATOR_SAMPLER", "pilaf");
        env.put("ODPO_GENERATOR_PILAF_BETA", "0.25");
        env.put("ODPO_GENERATOR_TEMPERATURE", "0.7");
        env.put("ODPO_GENERATOR_TOP_P", "0.9");
        env.put("ODPO_GENERATOR_TOP_K", "20");
        env.put("ODPO_GENERATOR_MAX_NEW_TOKENS", "32");
        env.put("ODPO_GENERATOR_STOP_STRINGS", "\\n\\n,END\\,NOW,a\\\\b");
        env.put("ODPO_GENERATOR_SEED", "42");
        SamplingPlan p = load(env).sampling();
        assertThat(p.n()).isEqualTo(4);
        assertThat(p.sampler()).isEqualTo(SamplerChoice.PILAF);
        assertThat(p.beta()).isEqualTo(0.25);
        assertThat(p.options().temperature()).isEqualTo(0.7);
        assertThat(p.options().topP()).isEqualTo(0.9);
        assertThat(p.options().topK()).isEqualTo(20);
        assertThat(p.options().maxNewTokens()).isEqualTo(32);
        assertThat(p.options().stopStrings()).containsExactly("\n\n", "END,NOW", "a\\b");
        assertThat(p.seed()).isEqualTo(42);
    }

    @Test
    void badValuesAreConfigErrorsNamingTheSetting() {
        assertThatThrownBy(() -> load(Map.of("ODPO_GENERATOR_TEMPERATURE", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("generator.temperature");
        assertThatThrownBy(() -> load(Map.of("ODPO_GENERATOR_TOP_P", "1.5")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("generator.top.p");
        assertThatThrownBy(() -> load(Map.of("ODPO_GENERATOR_SAMPLER", "best-of-n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("generator.sampler");
        assertThatThrownBy(() -> load(Map.of("ODPO_GENERATOR_POLICY", "../x")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("generator.policy");
        assertThatThrownBy(() -> load(Map.of("ODPO_GENERATOR_DEVICE", "tpu")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("generator.device");
        assertThatThrownBy(() -> load(Map.of("ODPO_GENERATOR_STOP_STRINGS", "\\q")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("generator.stop.strings");
    }

    @Test
    void pilafWithAnOddGroupIsAConfigError() {
        assertThatThrownBy(() -> load(Map.of("ODPO_GENERATOR_SAMPLER", "pilaf", "ODPO_GENERATOR_N", "3")))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).singleElement().asString()
                        .contains("generator.n").contains("even"));
    }

    @Test
    void helpListsEverySamplingSetting() {
        assertThat(Main.LAUNCHER.help()).contains("generator.n", "generator.temperature", "generator.top.p",
                "generator.top.k", "generator.max.new.tokens", "generator.stop.strings", "generator.seed",
                "generator.sampler", "generator.pilaf.beta", "generator.policy", "generator.device",
                "generator.batch.size", "generator.id", "checkpoint.dir");
        assertThat(GeneratorConfig.SETTINGS).extracting(s -> s.name()).doesNotHaveDuplicates();
        assertThat(List.copyOf(GeneratorConfig.SETTINGS)).isNotEmpty();
    }
}

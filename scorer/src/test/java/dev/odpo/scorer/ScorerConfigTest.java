package dev.odpo.scorer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.odpo.events.ScorerKind;
import dev.odpo.kafka.config.ConfigException;
import dev.odpo.kafka.config.ConfigValues;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScorerConfigTest {

    @TempDir
    Path tmp;

    private static ScorerConfig load(Map<String, String> env) {
        return ScorerConfig.from(ConfigValues.load(ScorerConfig.SETTINGS, env, null));
    }

    private Path modelDir() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("rm"));
        Files.writeString(dir.resolve("config.json"), "{}");
        return dir;
    }

    @Test
    void aVerifierNeedsNothingElseAndNamesItsOwnGroup() {
        ScorerConfig c = load(Map.of("ODPO_SCORER_COMPONENTS", "verifier"));

        assertThat(c.name()).isEqualTo("verifier");
        assertThat(c.groupId()).isEqualTo("odpo-scorer-verifier");
        assertThat(c.reward().kind()).isEqualTo(ScorerKind.VERIFIER);
        assertThat(c.reward().rewardModelDir()).isNull();
        assertThat(c.instanceId()).startsWith("scorer-verifier-");
        assertThat(c.batchSize()).isEqualTo(64);
        assertThat(c.reward().batchSize()).isEqualTo(8);
        assertThat(c.fromBeginning()).isFalse();
        assertThat(c.rewoundToBeginning().fromBeginning()).isTrue();
    }

    @Test
    void scorersWithDifferentNamesGetDifferentGroups() {
        ScorerConfig a = load(Map.of("ODPO_SCORER_COMPONENTS", "verifier", "ODPO_SCORER_NAME", "verifier:gold"));
        ScorerConfig b = load(Map.of("ODPO_SCORER_COMPONENTS", "verifier", "ODPO_SCORER_NAME", "verifier:gold-v2"));

        assertThat(a.groupId()).isNotEqualTo(b.groupId());
        assertThat(load(Map.of("ODPO_SCORER_COMPONENTS", "verifier", "ODPO_SCORER_GROUP_ID", "shared")).groupId())
                .isEqualTo("shared");
    }

    @Test
    void everyComponentWithWeightsLambdaAndUnit() throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("ODPO_SCORER_COMPONENTS", "length-penalty, reward-model,verifier");
        env.put("ODPO_SCORER_REWARD_MODEL_DIR", modelDir().toString());
        env.put("ODPO_SCORER_REWARD_MODEL_WEIGHT", "0.5");
        env.put("ODPO_SCORER_VERIFIER_WEIGHT", "-1");
        env.put("ODPO_SCORER_LENGTH_PENALTY_LAMBDA", "0.002");
        env.put("ODPO_SCORER_LENGTH_PENALTY_UNIT", "tokens");
        env.put("ODPO_SCORER_BATCH_SIZE", "256");
        env.put("ODPO_SCORER_REWARD_MODEL_BATCH_SIZE", "64");
        env.put("ODPO_SCORER_ID", "scorer-a");

        ScorerConfig c = load(env);

        assertThat(c.reward().components()).containsExactly(ComponentKind.LENGTH_PENALTY, ComponentKind.REWARD_MODEL,
                ComponentKind.VERIFIER);
        assertThat(c.name()).isEqualTo("length-penalty+reward-model+verifier");
        assertThat(c.reward().kind()).isEqualTo(ScorerKind.REWARD_MODEL);
        assertThat(c.reward().weight(ComponentKind.REWARD_MODEL)).isEqualTo(0.5);
        assertThat(c.reward().weight(ComponentKind.VERIFIER)).isEqualTo(-1.0);
        assertThat(c.reward().weight(ComponentKind.LENGTH_PENALTY)).isEqualTo(1.0);
        assertThat(c.reward().lambda()).isEqualTo(0.002);
        assertThat(c.reward().lengthUnit()).isEqualTo(ResponseLength.Unit.TOKENS);
        assertThat(c.reward().batchSize()).isEqualTo(64);
        assertThat(c.batchSize()).isEqualTo(256);
        assertThat(c.instanceId()).isEqualTo("scorer-a");
    }

    @Test
    void aRewardModelNeedsItsDirectory() {
        // the default components are a reward model alone
        assertThatThrownBy(() -> load(Map.of())).isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).singleElement().asString()
                        .contains("scorer.reward-model.dir").contains("ODPO_SCORER_REWARD_MODEL_DIR"));
        assertThatThrownBy(() -> load(Map.of("ODPO_SCORER_REWARD_MODEL_DIR", tmp.toString())))
                .isInstanceOf(ConfigException.class).hasMessageContaining("scorer.reward-model.dir")
                .hasMessageContaining(tmp.toString());
    }

    @Test
    void aLengthPenaltyNeedsALambda() {
        assertThatThrownBy(() -> load(Map.of("ODPO_SCORER_COMPONENTS", "verifier,length-penalty")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("scorer.length-penalty.lambda");
    }

    @Test
    void badValuesNameTheirSetting() {
        Map<String, String> env = Map.of(
                "ODPO_SCORER_COMPONENTS", "verifier,judge",
                "ODPO_SCORER_NAME", "a,b",
                "ODPO_SCORER_REWARD_MODEL_DEVICE", "tpu",
                "ODPO_SCORER_LENGTH_PENALTY_UNIT", "words",
                "ODPO_SCORER_LENGTH_PENALTY_LAMBDA", "-1",
                "ODPO_SCORER_BATCH_SIZE", "0",
                "ODPO_SCORER_VERIFIER_WEIGHT", "NaN");

        assertThatThrownBy(() -> load(env)).isInstanceOf(ConfigException.class).satisfies(e -> {
            List<String> problems = ((ConfigException) e).problems();
            assertThat(problems).hasSize(7);
            for (String setting : List.of("scorer.components", "scorer.name", "scorer.reward-model.device",
                    "scorer.length-penalty.unit", "scorer.length-penalty.lambda", "scorer.batch.size",
                    "scorer.verifier.weight")) {
                assertThat(problems).anySatisfy(p -> assertThat(p).contains("'" + setting + "'"));
            }
        });
        assertThatThrownBy(() -> load(Map.of("ODPO_SCORER_COMPONENTS", "verifier,verifier")))
                .hasMessageContaining("scorer.components").hasMessageContaining("twice");
    }
}

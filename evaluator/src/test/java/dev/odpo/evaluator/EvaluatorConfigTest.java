package dev.odpo.evaluator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.odpo.kafka.config.ConfigException;
import dev.odpo.kafka.config.ConfigValues;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvaluatorConfigTest {

    static EvaluatorConfig load(Map<String, String> env) {
        return EvaluatorConfig.from(ConfigValues.load(EvaluatorConfig.SETTINGS, env, null));
    }

    @Test
    void defaultsDescribeTheMeasurementThatOdpoEvaluateMakesToo() {
        EvaluatorConfig c = load(Map.of());
        assertThat(c.spec()).isEqualTo(EvaluatorConfig.defaultSpec());
        assertThat(c.policyName()).isEqualTo("policy");
        assertThat(c.reportDir()).isEqualTo(Path.of("data/reports/policy"));
        assertThat(c.rewardModelDir()).isNull();
        assertThat(c.device()).isEqualTo("cpu");
        assertThat(c.checkpointDir()).isEqualTo(Path.of("data/checkpoints"));
    }

    @Test
    void environmentVariablesSetEachSetting() {
        EvaluatorConfig c = load(Map.of("ODPO_EVALUATOR_POLICY_NAME", "pi", "ODPO_EVALUATOR_PROMPTS", "10",
                "ODPO_EVALUATOR_TEMPERATURE", "0.7", "ODPO_EVALUATOR_BETA", "0.05", "ODPO_EVALUATOR_REPORT_DIR", "/srv/r",
                "ODPO_CHECKPOINT_DIR", "/srv/checkpoints"));
        assertThat(c.spec().prompts()).isEqualTo(10);
        assertThat(c.spec().temperature()).isEqualTo(0.7);
        assertThat(c.spec().beta()).isEqualTo(0.05);
        assertThat(c.reportDir()).isEqualTo(Path.of("/srv/r/pi"));
        assertThat(c.checkpointDir()).isEqualTo(Path.of("/srv/checkpoints"));
    }

    @Test
    void badValuesAreRefusedNamingTheSetting() {
        assertThatThrownBy(() -> load(Map.of("ODPO_EVALUATOR_TEMPERATURE", "0", "ODPO_EVALUATOR_BETA", "-1",
                "ODPO_EVALUATOR_POLICY_NAME", "a b", "ODPO_EVALUATOR_DEVICE", "tpu")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("evaluator.temperature").hasMessageContaining("evaluator.beta")
                .hasMessageContaining("evaluator.policy.name").hasMessageContaining("evaluator.device");
        assertThatThrownBy(() -> load(Map.of("ODPO_EVALUATOR_REWARD_MODEL_DIR", "/no/such/model")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("evaluator.reward-model.dir");
    }
}

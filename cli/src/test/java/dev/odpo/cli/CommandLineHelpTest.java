package dev.odpo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommandLineHelpTest {

    @Test
    void everyCommandHasHelp() {
        // picocli reports a description it cannot format (a lone '%') on System.err, not the command's writer
        PrintStream originalErr = System.err;
        ByteArrayOutputStream picocliErr = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(picocliErr, true, StandardCharsets.UTF_8));
            for (String[] cmd : new String[][] {{"--help"}, {"demo", "--help"}, {"broker", "--help"}, {"run", "--help"},
                    {"topics", "--help"}, {"topics", "create", "--help"}, {"topics", "describe", "--help"},
                    {"prompts", "--help"}, {"tail", "--help"}, {"monitor", "--help"}, {"feedback", "--help"},
                    {"generate", "--help"}, {"evaluate", "--help"}, {"checkpoints", "--help"},
                    {"checkpoints", "list", "--help"}, {"checkpoints", "verify", "--help"},
                    {"checkpoints", "publish", "--help"}, {"sft", "--help"}, {"train-reward-model", "--help"},
                    {"study", "--help"}}) {
                CliRoundTripTest.Result r = CliRoundTripTest.odpo(cmd);
                assertThat(r.code()).as(String.join(" ", cmd)).isZero();
                assertThat(r.out()).as(String.join(" ", cmd)).contains("Usage: odpo").doesNotContain("%n");
            }
        } finally {
            System.setErr(originalErr);
        }
        assertThat(picocliErr.toString(StandardCharsets.UTF_8)).doesNotContain("picocli WARN");
        assertThat(CliRoundTripTest.odpo("--help").out()).contains("broker", "run", "topics", "prompts", "tail",
                "feedback", "generate", "sft", "train-reward-model", "study");
    }

    @Test
    void runListsEachServicesOwnSettings() {
        Map<String, String> ownSetting = Map.of("generator", "ODPO_GENERATOR_MAX_PROMPT_CHARS",
                "scorer", "ODPO_SCORER_GROUP_ID", "pair-builder", "ODPO_BOOTSTRAP_SERVERS",
                "learner", "ODPO_LEARNER_POLICY_NAME", "evaluator", "ODPO_EVALUATOR_GROUP_ID");
        PrintStream original = System.out;
        try {
            for (var e : ownSetting.entrySet()) {
                ByteArrayOutputStream captured = new ByteArrayOutputStream();
                System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
                CliRoundTripTest.Result r = CliRoundTripTest.odpo("run", e.getKey(), "--settings");
                System.setOut(original);
                assertThat(r.code()).as(e.getKey()).isZero();
                assertThat(captured.toString(StandardCharsets.UTF_8)).as(e.getKey())
                        .contains("Usage: " + e.getKey(), e.getValue(), "ODPO_KAFKA_");
            }
        } finally {
            System.setOut(original);
        }
    }

    @Test
    void sftHelpStatesTheDefaultsPi0IsReallyTrainedWith() {
        dev.odpo.task.WarmStart.Spec standard = dev.odpo.task.WarmStart.Spec.standard();
        String help = CliRoundTripTest.odpo("sft", "--help").out();
        assertThat(help).contains("Optimizer steps (default: " + standard.sft().steps() + ")",
                "Demonstrations per step (default: " + standard.sft().batchSize() + ")",
                "Model width (default: " + standard.hidden() + ")",
                "Decoder layers (default: " + standard.layers() + ")",
                "Number of SFT demonstrations (default: " + standard.demonstrations() + ")");
    }

    @Test
    void runRefusesAnUnknownService() {
        CliRoundTripTest.Result r = CliRoundTripTest.odpo("run", "teleporter");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown service 'teleporter'", "generator", "pair-builder");
    }

    @Test
    void aBadSettingIsReportedByName() {
        CliRoundTripTest.Result r = CliRoundTripTest.odpo("topics", "describe", "--bootstrap-servers", "no-port-here");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("'bootstrap.servers'", "'no-port-here'", "host:port");
    }
}

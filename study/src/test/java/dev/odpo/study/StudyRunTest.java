package dev.odpo.study;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.odpo.model.LlamaConfig;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.RewardModel;
import dev.odpo.task.TaskTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs arms end to end on a tiny random policy and reward model: every arm trains on exactly the pairs asked. */
class StudyRunTest {

    @TempDir
    static Path dir;
    static StudyRun runner;

    @BeforeAll
    static void tinyModels() throws Exception {
        Path pi0 = dir.resolve("pi0");
        Path rm = dir.resolve("rm");
        try (LlamaModel m = LlamaModel.random(config("LlamaForCausalLM", true), Device.cpu(), 1)) {
            m.save(pi0);
        }
        TaskTokenizer.write(pi0);
        try (RewardModel r = RewardModel.random(config("LlamaForCausalLM", false), Device.cpu(), 2)) {
            r.save(rm);
        }
        TaskTokenizer.write(rm);
        runner = new StudyRun(pi0, rm, 32, 2, 4, 0.1);
    }

    private static LlamaConfig config(String arch, boolean tied) {
        return new LlamaConfig(arch, TaskTokenizer.vocabSize(), 32, 64, 2, 4, 2, 8, 1e-6, 10000.0, 1.0, 256, tied, false,
                0, TaskTokenizer.BOS_ID, List.of(TaskTokenizer.EOS_ID), TaskTokenizer.PAD_ID);
    }

    @Test
    void everyKindOfArmTrainsOnExactlyTheLabeledPairsAsked() throws Exception {
        for (String name : List.of("iterative", "pilaf", "ref-previous", "proxy+feedback")) {
            List<String> log = new ArrayList<>();
            RunResult r = runner.run(StudyArm.named(name), 7, log::add);

            assertThat(r.arm()).isEqualTo(name);
            assertThat(r.pairs()).isEqualTo(32);
            assertThat(r.steps()).isEqualTo(2);
            assertThat(r.trajectory()).extracting(RunResult.Point::pairs).containsExactly(16, 32);
            assertThat(r.last().goldReward()).isBetween(0.0, 1.0);
            assertThat(r.last().kl()).isFinite();
            assertThat(log).hasSize(2);
        }
    }

    @Test
    void pi0IsMeasuredWithoutTrainingAndHasNoDistanceToItself() throws Exception {
        RunResult r = runner.run(StudyArm.named("pi0"), 7, line -> { });

        assertThat(r.pairs()).isZero();
        assertThat(r.trajectory()).hasSize(1);
        assertThat(r.last().kl()).isEqualTo(0.0);
    }

    @Test
    void theSameSeedGivesTheSameRun() throws Exception {
        RunResult a = runner.run(StudyArm.named("online"), 3, line -> { });
        RunResult b = runner.run(StudyArm.named("online"), 3, line -> { });

        assertThat(b.trajectory()).isEqualTo(a.trajectory());
    }
}

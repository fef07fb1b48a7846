package dev.odpo.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewardModelTest {

  @Test
  void scoreIsReadAtTheLastRealTokenWhateverThePadding() {
    try (RewardModel rm = RewardModel.random(LlamaModelTest.qwenGqa(), Device.cpu(), 1);
         NDManager s = rm.backbone().newStepManager()) {
      float alone = rm.score(List.of(new int[] {1, 5, 9})) [0];
      float[] batch = rm.score(List.of(new int[] {1, 5, 9}, new int[] {1, 2, 3, 4, 5, 6}));
      assertThat(batch[0]).isCloseTo(alone, within(1e-5f));
      NDArray left = s.create(new long[] {0, 0, 0, 1, 5, 9}, new Shape(1, 6));
      NDArray leftMask = s.create(new long[] {0, 0, 0, 1, 1, 1}, new Shape(1, 6));
      assertThat(rm.scores(left, leftMask).getFloat()).isCloseTo(alone, within(1e-5f));
    }
  }

  @Test
  void initialisesFromAPolicyAndRoundTrips(@TempDir Path dir) throws Exception {
    try (LlamaModel policy = LlamaModelTest.randomized(LlamaModelTest.qwenGqa(), 2);
         RewardModel rm = RewardModel.fromPolicy(policy, 3)) {
      assertThat(rm.config().architecture()).isEqualTo("Qwen2ForSequenceClassification");
      assertThat(rm.backbone().parameters()).doesNotContainKey("lm_head.weight").containsKey("score.weight");
      // same backbone: identical hidden states
      try (NDManager s = policy.newStepManager()) {
        NDArray ids = s.create(new long[] {1, 4, 8, 9}, new Shape(1, 4));
        assertThat(rm.backbone().hiddenStates(ids, null, null).toFloatArray())
            .containsExactly(policy.hiddenStates(ids, null, null).toFloatArray());
      }
      rm.save(dir);
      try (RewardModel back = RewardModel.load(dir, Device.cpu())) {
        List<int[]> seqs = List.of(new int[] {1, 4, 8, 9}, new int[] {1, 2});
        assertThat(back.score(seqs)).containsExactly(rm.score(seqs));
      }
    }
  }

  @Test
  void bradleyTerryStepsSeparateChosenFromRejected() {
    try (RewardModel rm = RewardModel.random(LlamaConfig.tiny(30, 32, 2, 4, 2), Device.cpu(), 4);
         AdamW opt = new AdamW(rm.backbone(), AdamW.Options.of(5e-3))) {
      List<int[]> chosen = List.of(new int[] {1, 5, 6, 7}, new int[] {1, 8, 9});
      List<int[]> rejected = List.of(new int[] {1, 5, 6, 20}, new int[] {1, 8, 21});
      float before = margin(rm, chosen, rejected);
      for (int i = 0; i < 15; i++) {
        try (NDManager s = rm.backbone().newStepManager()) {
          TokenBatch c = TokenBatch.ofSequences(s, chosen, 0);
          TokenBatch r = TokenBatch.ofSequences(s, rejected, 0);
          try (GradientCollector gc = rm.backbone().newGradientCollector()) {
            NDArray diff = rm.scores(c.inputIds(), c.attentionMask()).sub(rm.scores(r.inputIds(), r.attentionMask()));
            NDArray loss = NegLogSigmoid.of(diff).mean();                        // Bradley–Terry
            gc.backward(loss);
          }
          opt.step();
        }
      }
      assertThat(margin(rm, chosen, rejected)).isGreaterThan(before + 1.0f);
    }
  }

  private static float margin(RewardModel rm, List<int[]> chosen, List<int[]> rejected) {
    float[] c = rm.score(chosen);
    float[] r = rm.score(rejected);
    return (c[0] - r[0] + c[1] - r[1]) / 2;
  }

  @Test
  void rejectsACausalLmAsRewardModel() {
    try (LlamaModel m = LlamaModel.random(LlamaModelTest.qwenGqa(), Device.cpu(), 1)) {
      assertThatThrownBy(() -> new RewardModel(m)).hasMessageContaining("not a *ForSequenceClassification");
    }
  }
}

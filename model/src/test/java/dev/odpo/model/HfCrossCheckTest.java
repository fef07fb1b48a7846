package dev.odpo.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * odpo against Hugging Face transformers' own implementation: tiny random checkpoints written by
 * save_pretrained (GQA, MQA, tied/untied heads, explicit head_dim, non-default rope_theta, Qwen2 biases,
 * BF16 weights, sharded safetensors, Llama 3 rope scaling) must give the same logits, greedy generations and reward scores,
 * and checkpoints odpo saves must open in transformers with the same logits.
 * Skips cleanly when ../.venv-hf is missing.
 */
class HfCrossCheckTest {

  @TempDir static Path dir;
  private static String skipReason;

  @BeforeAll
  static void buildReferences() throws Exception {
    skipReason = HfReference.run(dir.toString());
  }

  /** Each test skips (visibly, one by one) where the reference stack is missing. */
  @BeforeEach
  void requireReference() {
    assumeTrue(skipReason == null, skipReason);
  }

  static float[] logits(LlamaModel m, List<int[]> rows) {
    try (NDManager s = m.newStepManager()) {
      int t = rows.get(0).length;
      long[] ids = new long[rows.size() * t];
      for (int r = 0; r < rows.size(); r++) {
        for (int i = 0; i < t; i++) {
          ids[r * t + i] = rows.get(r)[i];
        }
      }
      return m.logits(s.create(ids, new Shape(rows.size(), t)), null).toFloatArray();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama_gqa_tied", "llama_untied_headdim", "qwen2_gqa_bias", "qwen2_bf16_tied",
      "llama3_rope_mqa"})
  void logitsAndGreedyGenerationsMatchTransformers(String name) throws Exception {
    Path d = dir.resolve(name);
    JsonNode exp = HfReference.read(d.resolve("expected.json"));
    try (LlamaModel m = LlamaModel.load(d, Device.cpu())) {
      float[] want = HfReference.floats(exp.get("logits"));
      float[] got = logits(m, HfReference.rows(exp.get("input_ids")));
      assertThat(got).hasSameSizeAs(want);
      float maxDiff = 0;
      for (int i = 0; i < got.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
      }
      assertThat(maxDiff).as("max |odpo - HF| logit difference").isLessThan(2e-4f);

      // both prompts in one left-padded batch must give HF's unbatched greedy continuations
      List<int[]> prompts = HfReference.rows(exp.get("prompts"));
      List<Generation> gens = new Decoder(m, null).generate(prompts, SamplingOptions.greedy(12), new Random(0));
      for (int r = 0; r < prompts.size(); r++) {
        assertThat(gens.get(r).tokens()).as("greedy continuation of prompt " + r)
            .containsExactly(HfReference.ints(exp.get("greedy").get(r)));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen2_reward", "llama_reward"})
  void rewardHeadMatchesSequenceClassification(String name) throws Exception {
    Path d = dir.resolve(name);
    JsonNode exp = HfReference.read(d.resolve("expected.json"));
    try (RewardModel rm = RewardModel.load(d, Device.cpu()); NDManager s = rm.backbone().newStepManager()) {
      List<int[]> ids = HfReference.rows(exp.get("input_ids"));
      List<int[]> mask = HfReference.rows(exp.get("attention_mask"));
      int b = ids.size();
      int t = ids.get(0).length;
      long[] flatIds = new long[b * t];
      long[] flatMask = new long[b * t];
      for (int r = 0; r < b; r++) {
        for (int i = 0; i < t; i++) {
          flatIds[r * t + i] = ids.get(r)[i];
          flatMask[r * t + i] = mask.get(r)[i];
        }
      }
      NDArray scores = rm.scores(s.create(flatIds, new Shape(b, t)), s.create(flatMask, new Shape(b, t)));
      float[] want = HfReference.floats(exp.get("scores"));
      float[] got = scores.toFloatArray();
      for (int r = 0; r < b; r++) {
        assertThat(got[r]).as("score of row " + r).isCloseTo(want[r], within(1e-4f));
      }
    }
  }

  @Test
  void checkpointsSavedByOdpoOpenInTransformers() throws Exception {
    Path src = dir.resolve("qwen2_gqa_bias");
    JsonNode exp = HfReference.read(src.resolve("expected.json"));
    Path saved = dir.resolve("saved-by-odpo");
    try (LlamaModel m = LlamaModel.load(src, Device.cpu())) {
      m.save(saved);
    }
    Path ids = dir.resolve("ids.json");
    HfReference.JSON.writeValue(ids.toFile(), exp.get("input_ids"));
    Path out = dir.resolve("saved-logits.json");
    assertThat(HfReference.run("check", saved.toString(), ids.toString(), out.toString())).isNull();
    float[] got = HfReference.floats(HfReference.read(out).get("values"));
    float[] want = HfReference.floats(exp.get("logits"));
    assertThat(got).hasSameSizeAs(want);
    for (int i = 0; i < got.length; i++) {
      assertThat(got[i]).isCloseTo(want[i], within(1e-5f));
    }
  }
}

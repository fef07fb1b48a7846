package dev.odpo.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Properties of the decoder that hold for any weights: checkpoints, cache, padding, log-probs, GQA, training. */
class LlamaModelTest {

  /** Qwen2 layout with GQA, q/k/v biases and an untied head: the widest path through the code. */
  static LlamaConfig qwenGqa() {
    return new LlamaConfig("Qwen2ForCausalLM", 50, 32, 48, 2, 4, 2, 8, 1e-6, 20000.0, 1.0, 256, false, true, 0,
        1, List.of(), 0);
  }

  /** Random weights everywhere (biases and norms too), so no path is trivially zero or one. */
  static LlamaModel randomized(LlamaConfig c, long seed) {
    LlamaModel m = LlamaModel.random(c, Device.cpu(), seed);
    Random rng = new Random(seed + 1);
    m.parameters().forEach((k, v) -> {
      float[] d = v.toFloatArray();
      for (int i = 0; i < d.length; i++) {
        d[i] = k.endsWith("norm.weight") ? 1f + 0.1f * (float) rng.nextGaussian() : 0.1f * (float) rng.nextGaussian();
      }
      v.set(d);
    });
    return m;
  }

  static float[] logits(LlamaModel m, long[][] rows, long[][] mask) {
    try (NDManager s = m.newStepManager()) {
      int b = rows.length;
      int t = rows[0].length;
      NDArray ids = s.create(flatten(rows), new Shape(b, t));
      NDArray am = mask == null ? null : s.create(flatten(mask), new Shape(b, t));
      return m.logits(ids, am).toFloatArray();
    }
  }

  static long[] flatten(long[][] a) {
    return Arrays.stream(a).flatMapToLong(Arrays::stream).toArray();
  }

  static float maxAbsDiff(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    float m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  @Test
  void loadSaveLoadGivesIdenticalLogits(@TempDir Path dir) throws Exception {
    long[][] ids = {{1, 5, 9, 13, 2, 7}, {3, 4, 5, 6, 7, 8}};
    try (LlamaModel a = randomized(qwenGqa(), 1)) {
      a.save(dir.resolve("one"));
      try (LlamaModel b = LlamaModel.load(dir.resolve("one"), Device.cpu())) {
        assertThat(b.config()).isEqualTo(a.config());
        b.save(dir.resolve("two"));
        try (LlamaModel c = LlamaModel.load(dir.resolve("two"), Device.cpu())) {
          float[] la = logits(a, ids, null);
          assertThat(logits(b, ids, null)).containsExactly(la);
          assertThat(logits(c, ids, null)).containsExactly(la);
        }
      }
    }
  }

  @Test
  void copiesAreIndependentAndWeightsCanBeAdopted() {
    long[][] ids = {{1, 5, 9, 13}};
    try (LlamaModel a = randomized(qwenGqa(), 11); LlamaModel b = randomized(qwenGqa(), 12);
         LlamaModel frozen = a.copy()) {
      float[] la = logits(a, ids, null);
      assertThat(logits(frozen, ids, null)).containsExactly(la);
      a.copyWeightsFrom(b);                        // e.g. a generator adopting a new snapshot
      assertThat(logits(a, ids, null)).containsExactly(logits(b, ids, null));
      assertThat(logits(frozen, ids, null)).as("the copy did not move").containsExactly(la);
    }
  }

  @Test
  void kvCacheGenerationEqualsFullRecomputation() {
    try (LlamaModel m = randomized(qwenGqa(), 2)) {
      List<int[]> prompts = List.of(new int[] {1, 7, 3}, new int[] {1, 9, 4, 22, 31, 8}, new int[] {1});
      List<Generation> cached = new Decoder(m, null).generate(prompts, SamplingOptions.greedy(10), new Random(0));
      for (int r = 0; r < prompts.size(); r++) {
        // full recomputation, one unpadded row, no cache: argmax of the last position each step
        List<Integer> seq = new ArrayList<>();
        for (int x : prompts.get(r)) {
          seq.add(x);
        }
        double logProb = 0;
        for (int step = 0; step < 10; step++) {
          long[][] row = {seq.stream().mapToLong(Integer::longValue).toArray()};
          float[] all = logits(m, row, null);
          int v = m.config().vocabSize();
          float[] last = Arrays.copyOfRange(all, all.length - v, all.length);
          int tok = Sampling.argmax(last);
          logProb += Sampling.logProb(last, tok);
          seq.add(tok);
        }
        int[] full = seq.subList(prompts.get(r).length, seq.size()).stream().mapToInt(Integer::intValue).toArray();
        assertThat(cached.get(r).tokens()).as("row " + r).containsExactly(full);
        assertThat(cached.get(r).logProb()).isCloseTo(logProb, within(1e-3));
        assertThat(cached.get(r).finishReason()).isEqualTo("length");
      }
    }
  }

  @Test
  void paddingDoesNotChangeLogProbs() {
    try (LlamaModel m = randomized(qwenGqa(), 3)) {
      List<int[]> prompts = List.of(new int[] {1, 4, 5}, new int[] {1, 9}, new int[] {1, 2, 3, 4, 5, 6});
      List<int[]> responses = List.of(new int[] {7, 8, 9, 10}, new int[] {11}, new int[] {12, 13});
      float[] batched;
      try (NDManager s = m.newStepManager()) {
        TokenBatch batch = TokenBatch.of(s, prompts, responses, 0);
        batched = SequenceLogProbs.of(m.logits(batch.inputIds(), batch.attentionMask()), batch).summed().toFloatArray();
      }
      for (int r = 0; r < prompts.size(); r++) {
        try (NDManager s = m.newStepManager()) {
          TokenBatch one = TokenBatch.of(s, List.of(prompts.get(r)), List.of(responses.get(r)), 0);
          float alone = SequenceLogProbs.of(m.logits(one.inputIds(), one.attentionMask()), one).summed().getFloat();
          assertThat(batched[r]).as("row " + r).isCloseTo(alone, within(1e-4f));
        }
      }
      // left padding: the last-position logits of a left-padded row equal those of the row alone
      long[][] left = {{0, 0, 0, 1, 4, 5, 7}, {1, 2, 3, 4, 5, 6, 12}};
      long[][] leftMask = {{0, 0, 0, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1}};
      float[] padded = logits(m, left, leftMask);
      float[] alone = logits(m, new long[][] {{1, 4, 5, 7}}, null);
      int v = m.config().vocabSize();
      for (int i = 0; i < 4; i++) {
        float[] a = Arrays.copyOfRange(padded, (3 + i) * v, (4 + i) * v);
        float[] b = Arrays.copyOfRange(alone, i * v, (i + 1) * v);
        assertThat(maxAbsDiff(a, b)).as("position " + i).isLessThan(1e-4f);
      }
    }
  }

  @Test
  void summedLogProbEqualsManualSoftmax() {
    try (LlamaModel m = randomized(qwenGqa(), 4); NDManager s = m.newStepManager()) {
      List<int[]> prompts = List.of(new int[] {1, 4, 5}, new int[] {1});
      List<int[]> responses = List.of(new int[] {7, 8}, new int[] {11, 12, 13, 14});
      TokenBatch batch = TokenBatch.of(s, prompts, responses, 0);
      NDArray logits = m.logits(batch.inputIds(), batch.attentionMask());
      SequenceLogProbs lp = SequenceLogProbs.of(logits, batch);
      float[] z = logits.toFloatArray();
      float[] perToken = lp.perToken().toFloatArray();
      int v = m.config().vocabSize();
      int t = 5;
      for (int r = 0; r < 2; r++) {
        int[] seq = concat(prompts.get(r), responses.get(r));
        double manual = 0;
        for (int i = 0; i < t - 1; i++) {
          boolean response = i + 1 >= prompts.get(r).length && i + 1 < seq.length;
          if (response) {
            float[] row = Arrays.copyOfRange(z, (r * t + i) * v, (r * t + i + 1) * v);
            double max = Double.NEGATIVE_INFINITY;
            for (float f : row) {
              max = Math.max(max, f);
            }
            double sum = 0;
            for (float f : row) {
              sum += Math.exp(f - max);
            }
            double l = row[seq[i + 1]] - max - Math.log(sum);
            manual += l;
            assertThat((double) perToken[r * (t - 1) + i]).isCloseTo(l, within(1e-5));
          } else {
            assertThat(perToken[r * (t - 1) + i]).as("masked position").isZero();
          }
        }
        assertThat((double) lp.summed().toFloatArray()[r]).isCloseTo(manual, within(1e-4));
        assertThat(lp.tokenCounts().toFloatArray()[r]).isEqualTo(responses.get(r).length);
      }
    }
  }

  @Test
  void groupedQueryAttentionEqualsMultiHeadWithRepeatedKvHeads() {
    LlamaConfig gqa = qwenGqa();
    LlamaConfig mha = new LlamaConfig("Qwen2ForCausalLM", 50, 32, 48, 2, 4, 4, 8, 1e-6, 20000.0, 1.0, 256, false,
        true, 0, 1, List.of(), 0);
    try (LlamaModel g = randomized(gqa, 5)) {
      // HF repeat_kv: query head h uses kv head h / (H / Hkv); build the MHA weights by repeating k/v rows
      Map<String, NDArray> p = new LinkedHashMap<>();
      NDManager mm = NDManager.newBaseManager(Device.cpu());
      int hd = 8;
      int d = 32;
      g.parameters().forEach((k, v) -> {
        float[] w = v.toFloatArray();
        if (k.contains("qkv_proj")) {
          int cols = k.endsWith("weight") ? d : 1;
          float[] out = new float[(4 + 8) * hd * cols];
          System.arraycopy(w, 0, out, 0, 4 * hd * cols);                                   // q unchanged
          for (int part = 0; part < 2; part++) {                                           // k, then v
            int src = (4 + part * 2) * hd * cols;
            int dst = (4 + part * 4) * hd * cols;
            for (int h = 0; h < 4; h++) {
              System.arraycopy(w, src + (h / 2) * hd * cols, out, dst + h * hd * cols, hd * cols);
            }
          }
          w = out;
        }
        long[] shape = LlamaModel.internalShapes(mha).get(k);
        p.put(k, mm.create(w, new Shape(shape)));
      });
      try (LlamaModel h = new LlamaModel(mha, mm, p)) {
        long[][] ids = {{1, 5, 9, 13, 2, 7, 30}};
        assertThat(maxAbsDiff(logits(g, ids, null), logits(h, ids, null))).isLessThan(1e-5f);
      }
    }
  }

  @Test
  void qwen2BiasesTakePart() {
    LlamaConfig llama = new LlamaConfig("LlamaForCausalLM", 50, 32, 48, 2, 4, 2, 8, 1e-6, 20000.0, 1.0, 256, false,
        false, 0, 1, List.of(), 0);
    try (LlamaModel q = randomized(qwenGqa(), 6)) {
      NDManager mm = NDManager.newBaseManager(Device.cpu());
      Map<String, NDArray> p = new LinkedHashMap<>();
      q.parameters().forEach((k, v) -> {
        if (!k.endsWith(".bias")) {
          p.put(k, mm.create(v.toFloatArray(), v.getShape()));
        }
      });
      try (LlamaModel l = new LlamaModel(llama, mm, p)) {
        long[][] ids = {{1, 5, 9, 13}};
        float[] withBias = logits(q, ids, null);
        assertThat(maxAbsDiff(withBias, logits(l, ids, null))).as("biases change the output").isGreaterThan(1e-3f);
        q.parameters().forEach((k, v) -> {
          if (k.endsWith(".bias")) {
            v.set(new float[(int) v.size()]);
          }
        });
        assertThat(maxAbsDiff(logits(q, ids, null), logits(l, ids, null))).as("zero biases = Llama").isLessThan(1e-6f);
      }
    }
  }

  @Test
  void fewTrainingStepsLearnACountingRule() {
    // rule: after tokens a, a+1, a+2 the response continues a+3, a+4, ... (mod 40)
    LlamaConfig c = LlamaConfig.tiny(40, 32, 2, 4, 2);
    try (LlamaModel m = LlamaModel.random(c, Device.cpu(), 7); AdamW opt = new AdamW(m, AdamW.Options.of(1e-2))) {
      Random rng = new Random(8);
      double before = ruleNll(m);
      int managed = -1;
      for (int step = 0; step < 60; step++) {
        if (step == 1) {
          managed = m.manager().getManagedArrays().size();
        }
        List<int[]> prompts = new ArrayList<>();
        List<int[]> responses = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          int a = rng.nextInt(40);
          prompts.add(counting(a, 3));
          responses.add(counting(a + 3, 4));
        }
        try (NDManager s = m.newStepManager()) {
          TokenBatch batch = TokenBatch.of(s, prompts, responses, 0);
          try (GradientCollector gc = m.newGradientCollector()) {
            SequenceLogProbs lp = SequenceLogProbs.of(m.logits(batch.inputIds(), batch.attentionMask()), batch);
            gc.backward(lp.summed().div(lp.tokenCounts()).neg().mean());
          }
          opt.step();
        }
      }
      double after = ruleNll(m);
      assertThat(m.manager().getManagedArrays()).as("no arrays left behind by training steps").hasSize(managed);
      assertThat(before).isGreaterThan(3.0);   // ≈ ln 40 for random weights
      assertThat(after).as("NLL per response token over every start after 60 steps").isLessThan(0.5);
    }
  }

  private static double ruleNll(LlamaModel m) {
    List<int[]> prompts = new ArrayList<>();
    List<int[]> responses = new ArrayList<>();
    for (int a = 0; a < 40; a++) {
      prompts.add(counting(a, 3));
      responses.add(counting(a + 3, 4));
    }
    try (NDManager s = m.newStepManager()) {
      TokenBatch batch = TokenBatch.of(s, prompts, responses, 0);
      SequenceLogProbs lp = SequenceLogProbs.of(m.logits(batch.inputIds(), batch.attentionMask()), batch);
      return -lp.summed().sum().getFloat() / lp.tokenCounts().sum().getFloat();
    }
  }

  private static int[] counting(int start, int n) {
    int[] x = new int[n];
    for (int i = 0; i < n; i++) {
      x[i] = (start + i) % 40;
    }
    return x;
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}

package dev.odpo.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecoderTest {

  static final List<int[]> PROMPTS = List.of(new int[] {1, 7, 3}, new int[] {1, 9, 4, 22, 31}, new int[] {1});

  static LlamaModel model(long seed) {
    return LlamaModelTest.randomized(LlamaModelTest.qwenGqa(), seed);
  }

  static SamplingOptions sampled() {
    return SamplingOptions.sampled(8, 0.9, 0, 1.0);
  }

  @Test
  void sameSeedSameSamplesOtherSeedOtherSamples() {
    try (LlamaModel m = model(1)) {
      Decoder g = new Decoder(m, null);
      List<Generation> a = g.generate(PROMPTS, sampled(), new Random(42));
      List<Generation> b = g.generate(PROMPTS, sampled(), new Random(42));
      List<Generation> c = g.generate(PROMPTS, sampled(), new Random(43));
      for (int r = 0; r < PROMPTS.size(); r++) {
        assertThat(b.get(r).tokens()).containsExactly(a.get(r).tokens());
        assertThat(b.get(r).logProb()).isEqualTo(a.get(r).logProb());
      }
      assertThat(c.stream().map(Generation::tokens).toList())
          .usingElementComparator((x, y) -> Arrays.equals(x, y) ? 0 : 1)
          .isNotEqualTo(a.stream().map(Generation::tokens).toList());
    }
  }

  @Test
  void reportedLogProbIsThePolicysSequenceLogProb() {
    try (LlamaModel m = model(2); NDManager s = m.newStepManager()) {
      List<Generation> gens = new Decoder(m, null).generate(PROMPTS, SamplingOptions.sampled(6, 0.7, 20, 0.9),
          new Random(3));
      TokenBatch batch = TokenBatch.of(s, PROMPTS, gens.stream().map(Generation::tokens).toList(), 0);
      float[] lp = SequenceLogProbs.of(m.logits(batch.inputIds(), batch.attentionMask()), batch).summed().toFloatArray();
      for (int r = 0; r < PROMPTS.size(); r++) {
        assertThat(gens.get(r).logProb()).isCloseTo(lp[r], within(1e-3));
      }
    }
  }

  @Test
  void topKOfOneIsGreedy() {
    try (LlamaModel m = model(4)) {
      Decoder g = new Decoder(m, null);
      List<Generation> greedy = g.generate(PROMPTS, SamplingOptions.greedy(8), new Random(0));
      List<Generation> k1 = g.generate(PROMPTS, SamplingOptions.sampled(8, 1.3, 1, 1.0), new Random(5));
      for (int r = 0; r < PROMPTS.size(); r++) {
        assertThat(k1.get(r).tokens()).containsExactly(greedy.get(r).tokens());
      }
    }
  }

  @Test
  void pilafMixesPolicyAndReferenceLogits() {
    try (LlamaModel policy = model(5); LlamaModel ref = model(6); LlamaModel same = policy.copy()) {
      // β = 0, or a reference equal to the policy, leaves the policy's distribution: same draws
      List<Generation> plain = new Decoder(policy, null).generate(PROMPTS, sampled(), new Random(9));
      List<Generation> beta0 = Decoder.pilaf(policy, ref, 0.0, true, null).generate(PROMPTS, sampled(), new Random(9));
      List<Generation> selfRef = Decoder.pilaf(policy, same, 0.5, false, null).generate(PROMPTS, sampled(), new Random(9));
      for (int r = 0; r < PROMPTS.size(); r++) {
        assertThat(beta0.get(r).tokens()).containsExactly(plain.get(r).tokens());
        assertThat(selfRef.get(r).tokens()).containsExactly(plain.get(r).tokens());
      }
      // greedy π⁺ with β = 1 is argmax(2·z_θ − z_ref): check the first token by hand
      List<Generation> plus = Decoder.pilaf(policy, ref, 1.0, true, null)
          .generate(List.of(PROMPTS.get(1)), SamplingOptions.greedy(1), new Random(0));
      long[][] row = {Arrays.stream(PROMPTS.get(1)).asLongStream().toArray()};
      float[] zt = LlamaModelTest.logits(policy, row, null);
      float[] zr = LlamaModelTest.logits(ref, row, null);
      int v = policy.config().vocabSize();
      float[] mix = new float[v];
      for (int i = 0; i < v; i++) {
        mix[i] = 2 * zt[zt.length - v + i] - zr[zr.length - v + i];
      }
      assertThat(plus.get(0).tokens()).containsExactly(Sampling.argmax(mix));
    }
  }

  @Test
  void stopsAtEosAndAtStopStrings(@TempDir Path dir) throws Exception {
    TinyTokenizer.write(dir, null);
    LlamaConfig c = new LlamaConfig("LlamaForCausalLM", TinyTokenizer.vocabSize(), 32, 48, 2, 4, 2, 8, 1e-6,
        10000.0, 1.0, 128, true, false, 0, 1, List.of(2), 0);
    int[] script = {TinyTokenizer.id("the"), TinyTokenizer.id("cat"), TinyTokenizer.id("sat"), 2};
    // a processor that forces a scripted continuation: composable, runs before sampling
    LogitsProcessor forced = (l, generated) -> {
      int want = script[Math.min(generated.length, script.length - 1)];
      Arrays.fill(l, Float.NEGATIVE_INFINITY);
      l[want] = 0f;
    };
    try (LlamaModel m = LlamaModel.random(c, Device.cpu(), 1); TextTokenizer tok = TextTokenizer.load(dir)) {
      Decoder g = new Decoder(List.of(new Decoder.Component(m, 1.0)), tok, forced);
      Generation eos = g.generate(List.of(new int[] {1}), sampled().withStopStrings(List.of()), new Random(1)).get(0);
      assertThat(eos.tokens()).containsExactly(script);
      assertThat(eos.finishReason()).isEqualTo("eos");
      assertThat(eos.text()).isEqualTo("the cat sat");
      Generation stop = g.generate(List.of(new int[] {1}), sampled().withStopStrings(List.of("cat")), new Random(1))
          .get(0);
      assertThat(stop.finishReason()).isEqualTo("stop");
      assertThat(stop.tokens()).hasSize(2);
      assertThat(stop.text()).isEqualTo("the ");
      List<Integer> steps = new java.util.ArrayList<>();
      Generation length = g.generate(List.of(new int[] {1}), SamplingOptions.greedy(2), new Random(1), steps::add)
          .get(0);
      assertThat(steps).as("progress callback per decoding step").containsExactly(1, 2);
      assertThat(length.finishReason()).isEqualTo("length");
      assertThat(length.tokens()).hasSize(2);
    }
  }

  @Test
  void logitsProcessorsFilterAsSpecified() {
    float[] l = {2f, 1f, 0f, -1f, 3f};
    float[] k = l.clone();
    LogitsProcessor.topK(2).process(k, new int[0]);
    assertThat(k).containsExactly(2f, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, 3f);
    // softmax of l: token 4 ≈ 0.636, token 0 ≈ 0.234, token 1 ≈ 0.086 → top-p 0.8 keeps {4, 0}
    float[] p = l.clone();
    LogitsProcessor.topP(0.8).process(p, new int[0]);
    assertThat(p).containsExactly(2f, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, 3f);
    float[] t = l.clone();
    LogitsProcessor.temperature(2).andThen(LogitsProcessor.ban(4)).process(t, new int[0]);
    assertThat(t).containsExactly(1f, 0.5f, 0f, -0.5f, Float.NEGATIVE_INFINITY);
    // inverse-CDF sampling follows the distribution
    Random rng = new Random(1);
    int[] counts = new int[5];
    for (int i = 0; i < 20000; i++) {
      counts[Sampling.sample(l, rng)]++;
    }
    double[] probs = Sampling.softmax(l);
    for (int i = 0; i < 5; i++) {
      assertThat(counts[i] / 20000.0).isCloseTo(probs[i], within(0.015));
    }
  }

  @Test
  void repeatedGenerationDoesNotLeakNativeMemory() {
    try (LlamaModel m = model(7)) {
      Decoder g = new Decoder(m, null);
      SamplingOptions forty = SamplingOptions.sampled(40, 0.9, 0, 1.0);
      g.generate(PROMPTS, forty, new Random(1));
      int before = m.manager().getManagedArrays().size();
      for (int i = 0; i < 25; i++) {   // 1000 decode steps
        g.generate(PROMPTS, forty, new Random(i));
      }
      assertThat(m.manager().getManagedArrays()).hasSize(before);
    }
  }
}

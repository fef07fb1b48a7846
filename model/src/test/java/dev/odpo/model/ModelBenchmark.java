package dev.odpo.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Efficiency study, not a test: train step (fwd, bwd, AdamW), DPO step, decode ms/step and
 * tokens/s with and without the KV cache, the train step ÷ its matmuls alone, and the same shapes through
 * HF transformers / PyTorch eager (model/src/test/python/peer_benchmark.py in ../.venv-hf, same thread count).
 *
 * <p>Run: {@code ./mvnw -B -o -pl model test-compile surefire:test@benchmark [-Dbench.threads=2] [-Dbench.configs=small,mid]}
 * (thread count also needs -Dai.djl.pytorch.num_threads, set by the execution from bench.threads).
 */
@Tag("benchmark")
class ModelBenchmark {

  record Spec(String name, int vocab, int hidden, int inter, int layers, int heads, int kvHeads, int batch, int seq,
              int decodeBatch, int prompt, int newTokens, int repeats) {
    LlamaConfig config() {
      return new LlamaConfig("LlamaForCausalLM", vocab, hidden, inter, layers, heads, kvHeads, hidden / heads, 1e-6,
          10000.0, 1.0, 4096, true, false, 0, -1, List.of(), 0);
    }
  }

  static final List<Spec> SPECS = List.of(
      new Spec("small", 512, 128, 352, 4, 4, 4, 16, 64, 8, 16, 32, 8),
      new Spec("mid", 4096, 512, 1408, 8, 8, 8, 8, 128, 8, 16, 32, 4));

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DpoLoss DPO = DpoLoss.parse("sigmoid", 0.1, 0);

  @Test
  void benchmark() throws Exception {
    int threads = Integer.getInteger("bench.threads", 2);
    List<String> wanted = Arrays.asList(System.getProperty("bench.configs", "small,mid").split(","));
    List<Spec> specs = SPECS.stream().filter(s -> wanted.contains(s.name())).toList();
    System.out.printf("odpo model benchmark: %s, %d PyTorch threads, %d cores%n",
        Engine.getEngine("PyTorch").getVersion(), threads, Runtime.getRuntime().availableProcessors());
    Map<String, Map<String, Double>> odpo = new LinkedHashMap<>();
    for (Spec s : specs) {
      odpo.put(s.name(), measure(s));
      System.out.println(s.name() + " odpo " + odpo.get(s.name()));
    }
    JsonNode peer = runPeer(specs, threads);
    report(specs, odpo, peer, threads);
  }

  static Map<String, Double> measure(Spec s) {
    Map<String, Double> r = new LinkedHashMap<>();
    LlamaConfig c = s.config();
    Random rng = new Random(0);
    try (LlamaModel m = LlamaModel.random(c, Device.cpu(), 1); LlamaModel ref = m.copy();
         AdamW opt = new AdamW(m, AdamW.Options.of(1e-5).withMaxGradNorm(0))) {
      List<int[]> seqs = new ArrayList<>();
      for (int i = 0; i < s.batch(); i++) {
        seqs.add(rng.ints(s.seq(), 1, s.vocab()).toArray());
      }
      // train step: fwd (logits → sequence log-probs → loss), bwd, AdamW
      double[][] parts = new double[3][];
      for (int k = 0; k < 3; k++) {
        parts[k] = new double[s.repeats()];
      }
      for (int it = -2; it < s.repeats(); it++) {
        try (NDManager step = m.newStepManager()) {
          TokenBatch b = TokenBatch.ofSequences(step, seqs, 0);
          long t0 = System.nanoTime();
          long t1;
          long t2;
          try (GradientCollector gc = m.newGradientCollector()) {
            NDArray loss = SequenceLogProbs.of(m.logits(b.inputIds(), b.attentionMask()), b).summed().neg().mean();
            t1 = System.nanoTime();
            gc.backward(loss);
            t2 = System.nanoTime();
          }
          opt.step();
          long t3 = System.nanoTime();
          if (it >= 0) {
            parts[0][it] = (t1 - t0) / 1e6;
            parts[1][it] = (t2 - t1) / 1e6;
            parts[2][it] = (t3 - t2) / 1e6;
          }
        }
      }
      r.put("train_fwd_ms", median(parts[0]));
      r.put("train_bwd_ms", median(parts[1]));
      r.put("train_opt_ms", median(parts[2]));
      double[] total = new double[s.repeats()];
      for (int i = 0; i < total.length; i++) {
        total[i] = parts[0][i] + parts[1][i] + parts[2][i];
      }
      r.put("train_ms", median(total));
      // DPO step: reference log-probs (no graph), policy fwd+bwd, loss −log σ(β(ρ_w − ρ_l)), AdamW
      double[] dpo = new double[s.repeats()];
      for (int it = -2; it < s.repeats(); it++) {
        try (NDManager step = m.newStepManager()) {
          TokenBatch b = TokenBatch.ofSequences(step, seqs, 0);
          NDArray weights = step.ones(new Shape(seqs.size() / 2));
          long t0 = System.nanoTime();
          NDArray refLp = SequenceLogProbs.of(ref.logits(b.inputIds(), b.attentionMask()), b).summed()
              .reshape(-1, 2);                                                  // (B/2, 2) chosen, rejected
          try (GradientCollector gc = m.newGradientCollector()) {
            NDArray pol = SequenceLogProbs.of(m.logits(b.inputIds(), b.attentionMask()), b).summed().reshape(-1, 2);
            NDArray loss = DPO.compute(pol.get(":, 0"), pol.get(":, 1"), refLp.get(":, 0"), refLp.get(":, 1"), weights)
                .loss();
            gc.backward(loss);
          }
          opt.step();
          if (it >= 0) {
            dpo[it] = (System.nanoTime() - t0) / 1e6;
          }
        }
      }
      r.put("dpo_ms", median(dpo));
      r.put("matmul_ms", matmulOnly(s));
      r.put("train_over_matmul", r.get("train_ms") / r.get("matmul_ms"));

      // decoding: greedy, batch of prompts, fixed number of new tokens (no EOS in the config)
      m.setTrainable(false);
      List<int[]> prompts = new ArrayList<>();
      for (int i = 0; i < s.decodeBatch(); i++) {
        prompts.add(rng.ints(s.prompt(), 1, s.vocab()).toArray());
      }
      Decoder g = new Decoder(m, null);
      int reps = Math.max(2, s.repeats() / 2);
      double[] cached = new double[reps];
      double[] full = new double[reps];
      for (int it = -1; it < reps; it++) {
        long t0 = System.nanoTime();
        g.generate(prompts, SamplingOptions.greedy(s.newTokens()), new Random(0));
        long t1 = System.nanoTime();
        decodeWithoutCache(m, prompts, s.newTokens());
        long t2 = System.nanoTime();
        if (it >= 0) {
          cached[it] = (t1 - t0) / 1e6 / s.newTokens();
          full[it] = (t2 - t1) / 1e6 / s.newTokens();
        }
      }
      r.put("decode_cache_ms_per_step", median(cached));
      r.put("decode_cache_tokens_per_s", s.decodeBatch() * 1000 / median(cached));
      r.put("decode_nocache_ms_per_step", median(full));
      r.put("decode_nocache_tokens_per_s", s.decodeBatch() * 1000 / median(full));
    }
    return r;
  }

  /** Greedy decoding that recomputes the whole sequence every step (the no-cache baseline). */
  static void decodeWithoutCache(LlamaModel m, List<int[]> prompts, int n) {
    int b = prompts.size();
    int p = prompts.get(0).length;
    long[] ids = new long[b * (p + n)];
    for (int r = 0; r < b; r++) {
      for (int i = 0; i < p; i++) {
        ids[r * (p + n) + i] = prompts.get(r)[i];
      }
    }
    int v = m.config().vocabSize();
    for (int step = 0; step < n; step++) {
      int t = p + step;
      long[] cur = new long[b * t];
      for (int r = 0; r < b; r++) {
        System.arraycopy(ids, r * (p + n), cur, r * t, t);
      }
      try (NDManager s = m.newStepManager()) {
        float[] last = m.nextTokenLogits(s.create(cur, new Shape(b, t)), null, null).toFloatArray();
        for (int r = 0; r < b; r++) {
          ids[r * (p + n) + t] = Sampling.argmax(Arrays.copyOfRange(last, r * v, (r + 1) * v));
        }
      }
    }
  }

  /** Time of the train step's matmuls alone (forward, and the two backward matmuls of each). */
  static double matmulOnly(Spec s) {
    int d = s.hidden();
    int hd = d / s.heads();
    int bt = s.batch() * s.seq();
    int bh = s.batch() * s.heads();
    List<long[][]> shapes = new ArrayList<>();   // pairs of operand shapes
    int[][] weights = {{d, (s.heads() + 2 * s.kvHeads()) * hd}, {s.heads() * hd, d}, {d, 2 * s.inter()},
        {s.inter(), d}};
    for (int l = 0; l < s.layers(); l++) {
      for (int[] w : weights) {
        addLinear(shapes, bt, w[0], w[1]);
      }
      // attention: QKᵀ (bh,T,hd)x(bh,hd,T), PV (bh,T,T)x(bh,T,hd); backward: two of each
      for (int k = 0; k < 3; k++) {
        shapes.add(new long[][] {{bh, s.seq(), hd}, {bh, hd, s.seq()}});
        shapes.add(new long[][] {{bh, s.seq(), s.seq()}, {bh, s.seq(), hd}});
      }
    }
    addLinear(shapes, bt, d, s.vocab());
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      List<NDArray[]> ops = new ArrayList<>();
      for (long[][] sh : shapes) {
        ops.add(new NDArray[] {m.randomNormal(new Shape(sh[0])), m.randomNormal(new Shape(sh[1]))});
      }
      double[] t = new double[s.repeats()];
      for (int it = -2; it < s.repeats(); it++) {
        long t0 = System.nanoTime();
        for (NDArray[] o : ops) {
          o[0].matMul(o[1]).close();
        }
        if (it >= 0) {
          t[it] = (System.nanoTime() - t0) / 1e6;
        }
      }
      return median(t);
    }
  }

  private static void addLinear(List<long[][]> shapes, int m, int k, int n) {
    shapes.add(new long[][] {{m, k}, {k, n}});   // forward  y = x W
    shapes.add(new long[][] {{m, n}, {n, k}});   // backward dx = dy Wᵀ
    shapes.add(new long[][] {{k, m}, {m, n}});   // backward dW = xᵀ dy
  }

  static JsonNode runPeer(List<Spec> specs, int threads) throws Exception {
    Path py = Path.of("..", ".venv-hf", "bin", "python").toAbsolutePath().normalize();
    if (!Files.isExecutable(py)) {
      System.out.println("no ../.venv-hf: peer (HF transformers) timings skipped");
      return null;
    }
    ObjectNode spec = JSON.createObjectNode();
    spec.put("threads", threads);
    ArrayNode cs = spec.putArray("configs");
    for (Spec s : specs) {
      cs.addObject().put("name", s.name()).put("vocab", s.vocab()).put("hidden", s.hidden()).put("inter", s.inter())
          .put("layers", s.layers()).put("heads", s.heads()).put("kv_heads", s.kvHeads()).put("batch", s.batch())
          .put("seq", s.seq()).put("decode_batch", s.decodeBatch()).put("prompt", s.prompt())
          .put("new_tokens", s.newTokens()).put("repeats", s.repeats());
    }
    Path specFile = Files.createTempFile("bench-spec", ".json");
    Path outFile = Files.createTempFile("bench-peer", ".json");
    JSON.writeValue(specFile.toFile(), spec);
    ProcessBuilder pb = new ProcessBuilder(py.toString(), Path.of("src/test/python/peer_benchmark.py").toString(),
        specFile.toString(), outFile.toString()).inheritIO();
    pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
    Process p = pb.start();
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
      System.out.println("peer benchmark failed");
      return null;
    }
    return JSON.readTree(outFile.toFile()).path("configs");
  }

  static void report(List<Spec> specs, Map<String, Map<String, Double>> odpo, JsonNode peer, int threads) {
    String[] keys = {"train_fwd_ms", "train_bwd_ms", "train_opt_ms", "train_ms", "dpo_ms", "matmul_ms",
        "train_over_matmul", "decode_cache_ms_per_step", "decode_cache_tokens_per_s", "decode_nocache_ms_per_step",
        "decode_nocache_tokens_per_s"};
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%n| config | metric | odpo (DJL) | PyTorch eager / HF | odpo ÷ peer |%n|---|---|---|---|---|%n"));
    for (Spec s : specs) {
      for (String k : keys) {
        double o = odpo.get(s.name()).get(k);
        JsonNode pv = peer == null ? null : peer.path(s.name()).get(k);
        String ps = pv == null ? "–" : String.format("%.2f", pv.asDouble());
        String ratio = pv == null ? "–" : String.format("%.2f", o / pv.asDouble());
        sb.append(String.format("| %s | %s | %.2f | %s | %s |%n", s.name(), k, o, ps, ratio));
      }
    }
    sb.append(String.format("%nthreads: %d; shapes: %s%n", threads, specs));
    System.out.println(sb);
    try {
      Files.writeString(Path.of("target", "benchmark.md"), sb.toString());
    } catch (java.io.IOException e) {
      System.out.println("could not write target/benchmark.md: " + e.getMessage());
    }
  }

  static double median(double[] x) {
    double[] c = x.clone();
    Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }
}

package dev.odpo.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * Efficiency study, not a test: train step (forward, backward, AdamW), the reference's log-probs, the DPO step
 * (through {@link DpoTrainer}), greedy decoding with and without the KV cache, and the train step ÷ its matmuls
 * alone, against the same shapes through HF transformers / PyTorch eager (model/src/test/python/peer_benchmark.py
 * in ../.venv-hf, same thread count). Every repetition runs odpo and the peer back to back in alternating order,
 * so the machine's load falls on both; each run reports medians, several runs the spread of the ratios.
 *
 * <p>Run: {@code ./mvnw -B -o -pl model test-compile surefire:test@benchmark [-Dbench.runs=3]
 * [-Dbench.threads=1] [-Dbench.configs=small,mid]} (the execution passes bench.threads to PyTorch).
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
      new Spec("small", 512, 128, 352, 4, 4, 4, 16, 64, 8, 16, 32, 12),
      new Spec("mid", 4096, 512, 1408, 8, 8, 8, 8, 128, 8, 16, 32, 4));

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Rows of the table: key, what it measures, the target ratio odpo ÷ peer (NaN: none). */
  record Row(String key, String label, double target) {}

  static final List<Row> ROWS = List.of(
      new Row("train_fwd_ms", "train step: forward ms", Double.NaN),
      new Row("train_bwd_ms", "train step: backward ms", Double.NaN),
      new Row("train_opt_ms", "train step: AdamW ms", 1.2),
      new Row("train_ms", "train step ms", Double.NaN),
      new Row("reference_ms", "reference log-probs (no graph) ms", Double.NaN),
      new Row("dpo_ms", "DPO step ms", 1.0),
      new Row("decode_cache_ms_per_step", "decode with KV cache, ms/step", Double.NaN),
      new Row("decode_nocache_ms_per_step", "decode without cache, ms/step", Double.NaN));

  @Test
  void benchmark() throws Exception {
    int threads = Integer.getInteger("bench.threads", 1);
    int runs = Integer.getInteger("bench.runs", 1);
    List<String> wanted = Arrays.asList(System.getProperty("bench.configs", "small,mid").split(","));
    List<Spec> specs = SPECS.stream().filter(s -> wanted.contains(s.name())).toList();
    System.out.printf("odpo model benchmark: PyTorch %s, %d threads, %d cores, %d runs%n",
        Engine.getEngine("PyTorch").getVersion(), threads, Runtime.getRuntime().availableProcessors(), runs);
    List<Run> done = new ArrayList<>();
    try (Peer peer = Peer.start(threads)) {
      for (int run = 0; run < runs; run++) {
        double loadBefore = loadAverage();
        Map<String, Map<String, double[]>> results = new LinkedHashMap<>();
        for (Spec s : specs) {
          results.put(s.name(), measure(s, peer));
        }
        done.add(new Run(results, loadBefore, loadAverage()));
        System.out.println(table(specs, List.of(done.get(run)), peer != null));
      }
      String report = String.format("PyTorch %s (DJL) vs torch %s, %d thread(s) each, %d run(s)%n",
          Engine.getEngine("PyTorch").getVersion(), peer == null ? "–" : peer.version, threads, runs)
          + table(specs, done, peer != null);
      System.out.println(report);
      Files.createDirectories(Path.of("target"));
      Files.writeString(Path.of("target", "benchmark.md"), report);
    }
  }

  /** One run: per config, per row, {odpo median, peer median} (peer NaN when absent); load averages around it. */
  record Run(Map<String, Map<String, double[]>> results, double loadBefore, double loadAfter) {}

  /**
   * The table over all runs: the median of each run's odpo ÷ peer ratio, its spread across runs, and whether the
   * target is met, missed, or within noise (the spread straddles the target; 1.0 when the row has none).
   */
  static String table(List<Spec> specs, List<Run> runs, boolean withPeer) {
    StringBuilder sb = new StringBuilder();
    sb.append("| config | metric | odpo | PyTorch eager / HF | odpo ÷ peer (median of runs) | spread across runs | target | verdict |\n");
    sb.append("|---|---|---|---|---|---|---|---|\n");
    for (Spec s : specs) {
      for (Row row : ROWS) {
        double[] o = runs.stream().mapToDouble(r -> r.results().get(s.name()).get(row.key())[0]).toArray();
        double[] p = runs.stream().mapToDouble(r -> r.results().get(s.name()).get(row.key())[1]).toArray();
        double[] ratio = new double[o.length];
        for (int i = 0; i < o.length; i++) {
          ratio[i] = o[i] / p[i];
        }
        sb.append(line(s.name(), row.label(), median(o), withPeer ? median(p) : Double.NaN, ratio, row.target()));
      }
      double[] overMatmul = runs.stream()
          .mapToDouble(r -> r.results().get(s.name()).get("train_over_matmul")[0]).toArray();
      double[] matmul = runs.stream().mapToDouble(r -> r.results().get(s.name()).get("matmul_ms")[0]).toArray();
      sb.append(String.format("| %s | train step ÷ its matmuls alone (odpo; matmuls %.1f ms) | – | – | %.2f | %s | %s | %s |%n",
          s.name(), median(matmul), median(overMatmul), spread(overMatmul), s.name().equals("mid") ? "≤ 1.3" : "–",
          verdict(overMatmul, s.name().equals("mid") ? 1.3 : Double.NaN)));
    }
    sb.append("\nload average (1 min) before → after each run: ");
    sb.append(String.join("; ", runs.stream().map(r -> String.format("%.1f → %.1f", r.loadBefore(), r.loadAfter()))
        .toList()));
    sb.append("\n");
    return sb.toString();
  }

  private static String line(String config, String label, double odpo, double peer, double[] ratio, double target) {
    if (Double.isNaN(peer)) {
      return String.format("| %s | %s | %.2f | – | – | – | – | – |%n", config, label, odpo);
    }
    return String.format("| %s | %s | %.2f | %.2f | %.2f | %s | %s | %s |%n", config, label, odpo, peer, median(ratio),
        spread(ratio), Double.isNaN(target) ? "–" : "≤ " + target, verdict(ratio, target));
  }

  private static String spread(double[] x) {
    return x.length == 1 ? "–" : String.format("%.2f–%.2f", Arrays.stream(x).min().orElseThrow(),
        Arrays.stream(x).max().orElseThrow());
  }

  /** met / not met against a target; for rows without one, faster / slower / within noise of the peer. */
  private static String verdict(double[] ratio, double target) {
    double lo = Arrays.stream(ratio).min().orElseThrow();
    double hi = Arrays.stream(ratio).max().orElseThrow();
    double bar = Double.isNaN(target) ? 1.0 : target;
    if (hi <= bar) {
      return Double.isNaN(target) ? "faster" : "met";
    }
    if (lo > bar) {
      return Double.isNaN(target) ? "slower" : "not met";
    }
    return "within noise";
  }

  private static double loadAverage() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  /**
   * Medians over the repetitions of one config. Each repetition runs odpo's and the peer's version of the same
   * measurement back to back, in alternating order, so a change in the machine's load hits both.
   */
  static Map<String, double[]> measure(Spec s, Peer peer) throws Exception {
    Map<String, List<Double>> odpo = new LinkedHashMap<>();
    Map<String, List<Double>> other = new LinkedHashMap<>();
    LlamaConfig c = s.config();
    Random rng = new Random(0);
    if (peer != null) {
      peer.setup(s);
    }
    AdamW.Options adamW = AdamW.Options.of(1e-5).withWeightDecay(0.01).withMaxGradNorm(0);
    try (LlamaModel m = LlamaModel.random(c, Device.cpu(), 1); LlamaModel policy = LlamaModel.random(c, Device.cpu(), 2);
         LlamaModel ref = policy.copy(); AdamW opt = new AdamW(m, adamW);
         DpoTrainer dpo = new DpoTrainer(policy, ref, 0, new DpoTrainer.Options(DpoLoss.parse("sigmoid", 0.1, 0),
             ReferenceMode.INITIAL, new TrainingStep.Options(adamW, LearningRateSchedule.constantAfterWarmup(1e-5, 0), 1)));
         MatmulsOfTheTrainStep matmuls = new MatmulsOfTheTrainStep(s)) {
      List<int[]> seqs = new ArrayList<>();
      for (int i = 0; i < s.batch(); i++) {
        seqs.add(rng.ints(s.seq(), 1, s.vocab()).toArray());
      }
      // the same (2B, T) batch as pairs: B/2 pairs with a quarter of the sequence as prompt
      int promptLength = s.seq() / 4;
      List<EncodedPair> pairs = new ArrayList<>();
      for (int i = 0; i < s.batch(); i += 2) {
        pairs.add(new EncodedPair(Arrays.copyOf(seqs.get(i), promptLength),
            Arrays.copyOfRange(seqs.get(i), promptLength, s.seq()),
            Arrays.copyOfRange(seqs.get(i + 1), promptLength, s.seq()), 1.0));
      }
      for (int it = -2; it < s.repeats(); it++) {
        boolean keep = it >= 0;
        // train step: fwd (logits → sequence log-probs → loss), bwd, AdamW
        alternate(it, () -> {
          double[] t = trainStep(m, opt, seqs);
          record(odpo, keep, "train_fwd_ms", t[0], "train_bwd_ms", t[1], "train_opt_ms", t[2], "train_ms",
              t[0] + t[1] + t[2]);
          double mm = matmuls.timeMs();
          record(odpo, keep, "matmul_ms", mm, "train_over_matmul", (t[0] + t[1] + t[2]) / mm);
        }, peer == null ? null : () -> {
          JsonNode t = peer.call("{\"op\": \"train\"}");
          double f = t.get("fwd").asDouble();
          double b = t.get("bwd").asDouble();
          double o = t.get("opt").asDouble();
          record(other, keep, "train_fwd_ms", f, "train_bwd_ms", b, "train_opt_ms", o, "train_ms", f + b + o);
        });
        // reference log-probs alone, as the DPO step computes them (no graph)
        alternate(it, () -> {
          try (NDManager step = ref.newStepManager()) {
            TokenBatch b = TokenBatch.ofSequences(step, seqs, 0);
            long t0 = System.nanoTime();
            SequenceLogProbs.of(ref.logits(b.inputIds(), b.attentionMask()), b).summed().toFloatArray();
            record(odpo, keep, "reference_ms", (System.nanoTime() - t0) / 1e6);
          }
        }, peer == null ? null : () -> record(other, keep, "reference_ms",
            peer.call("{\"op\": \"reference\"}").get("ms").asDouble()));
        // DPO step through the trainer the learner runs: reference log-probs, policy fwd+bwd, loss, AdamW
        alternate(it, () -> {
          long t0 = System.nanoTime();
          dpo.step(pairs);
          record(odpo, keep, "dpo_ms", (System.nanoTime() - t0) / 1e6);
        }, peer == null ? null : () -> record(other, keep, "dpo_ms",
            peer.call("{\"op\": \"dpo\"}").get("ms").asDouble()));
      }

      // decoding: greedy, batch of prompts, fixed number of new tokens (no EOS in the config)
      m.setTrainable(false);
      List<int[]> prompts = new ArrayList<>();
      for (int i = 0; i < s.decodeBatch(); i++) {
        prompts.add(rng.ints(s.prompt(), 1, s.vocab()).toArray());
      }
      Decoder g = new Decoder(m, null);
      int reps = Math.max(2, s.repeats() / 2);
      for (int it = -1; it < reps; it++) {
        boolean keep = it >= 0;
        alternate(it, () -> {
          long t0 = System.nanoTime();
          g.generate(prompts, SamplingOptions.greedy(s.newTokens()), new Random(0));
          record(odpo, keep, "decode_cache_ms_per_step", (System.nanoTime() - t0) / 1e6 / s.newTokens());
        }, peer == null ? null : () -> record(other, keep, "decode_cache_ms_per_step",
            peer.call("{\"op\": \"decode\", \"cache\": true}").get("ms_per_step").asDouble()));
        alternate(it, () -> {
          long t0 = System.nanoTime();
          decodeWithoutCache(m, prompts, s.newTokens());
          record(odpo, keep, "decode_nocache_ms_per_step", (System.nanoTime() - t0) / 1e6 / s.newTokens());
        }, peer == null ? null : () -> record(other, keep, "decode_nocache_ms_per_step",
            peer.call("{\"op\": \"decode\", \"cache\": false}").get("ms_per_step").asDouble()));
      }
    }
    Map<String, double[]> r = new LinkedHashMap<>();
    odpo.forEach((k, v) -> r.put(k, new double[] {median(v), other.containsKey(k) ? median(other.get(k)) : Double.NaN}));
    System.out.println(s.name() + ": " + r.entrySet().stream()
        .map(e -> String.format("%s %.2f / %.2f", e.getKey(), e.getValue()[0], e.getValue()[1])).toList());
    return r;
  }

  @FunctionalInterface
  interface Repetition {
    void run() throws Exception;
  }

  /** odpo first on even repetitions, the peer first on odd ones. */
  private static void alternate(int it, Repetition odpo, Repetition peer) throws Exception {
    if (peer == null) {
      odpo.run();
    } else if (Math.floorMod(it, 2) == 0) {
      odpo.run();
      peer.run();
    } else {
      peer.run();
      odpo.run();
    }
  }

  private static void record(Map<String, List<Double>> into, boolean keep, Object... keysAndValues) {
    if (keep) {
      for (int i = 0; i < keysAndValues.length; i += 2) {
        into.computeIfAbsent((String) keysAndValues[i], k -> new ArrayList<>()).add((Double) keysAndValues[i + 1]);
      }
    }
  }

  /** One train step; returns {forward, backward, AdamW} in ms. */
  private static double[] trainStep(LlamaModel m, AdamW opt, List<int[]> seqs) {
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
      return new double[] {(t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6};
    }
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

  /** The train step's matmuls alone (forward, and the two backward matmuls of each), on random operands. */
  static final class MatmulsOfTheTrainStep implements AutoCloseable {
    private final NDManager manager = NDManager.newBaseManager(Device.cpu());
    private final List<NDArray[]> ops = new ArrayList<>();

    MatmulsOfTheTrainStep(Spec s) {
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
      for (long[][] sh : shapes) {
        ops.add(new NDArray[] {manager.randomNormal(new Shape(sh[0])), manager.randomNormal(new Shape(sh[1]))});
      }
    }

    double timeMs() {
      long t0 = System.nanoTime();
      for (NDArray[] o : ops) {
        o[0].matMul(o[1]).close();
      }
      return (System.nanoTime() - t0) / 1e6;
    }

    @Override
    public void close() {
      manager.close();
    }
  }

  private static void addLinear(List<long[][]> shapes, int m, int k, int n) {
    shapes.add(new long[][] {{m, k}, {k, n}});   // forward  y = x W
    shapes.add(new long[][] {{m, n}, {n, k}});   // backward dx = dy Wᵀ
    shapes.add(new long[][] {{k, m}, {m, n}});   // backward dW = xᵀ dy
  }

  /** The PyTorch / HF transformers peer: model/src/test/python/peer_benchmark.py in ../.venv-hf, one command a line. */
  static final class Peer implements AutoCloseable {
    private final Process process;
    private final java.io.BufferedWriter in;
    private final java.io.BufferedReader out;
    String version = "–";

    private Peer(Process process) {
      this.process = process;
      this.in = process.outputWriter();
      this.out = process.inputReader();
    }

    /** The peer, or null (reported) where the reference venv is absent. */
    static Peer start(int threads) throws java.io.IOException {
      Path py = Path.of("..", ".venv-hf", "bin", "python").toAbsolutePath().normalize();
      if (!Files.isExecutable(py)) {
        System.out.println("no ../.venv-hf (build it with .ci/hf-venv.sh): peer timings skipped");
        return null;
      }
      ProcessBuilder pb = new ProcessBuilder(py.toString(), Path.of("src/test/python/peer_benchmark.py").toString(),
          Integer.toString(threads)).redirectError(ProcessBuilder.Redirect.INHERIT);
      pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
      pb.environment().put("MKL_NUM_THREADS", Integer.toString(threads));
      return new Peer(pb.start());
    }

    void setup(Spec s) throws java.io.IOException {
      ObjectNode c = JSON.createObjectNode().put("op", "setup").put("vocab", s.vocab()).put("hidden", s.hidden())
          .put("inter", s.inter()).put("layers", s.layers()).put("heads", s.heads()).put("kv_heads", s.kvHeads())
          .put("batch", s.batch()).put("seq", s.seq()).put("decode_batch", s.decodeBatch()).put("prompt", s.prompt())
          .put("new_tokens", s.newTokens());
      JsonNode r = call(JSON.writeValueAsString(c));
      version = r.get("torch").asText();
      if (r.get("threads").asInt() < 1) {
        throw new IllegalStateException("peer reports no threads: " + r);
      }
    }

    JsonNode call(String command) throws java.io.IOException {
      in.write(command);
      in.newLine();
      in.flush();
      String line = out.readLine();
      if (line == null) {
        throw new java.io.IOException("the peer benchmark stopped");
      }
      return JSON.readTree(line);
    }

    @Override
    public void close() throws Exception {
      try {
        in.write("{\"op\": \"quit\"}");
        in.newLine();
        in.flush();
      } catch (java.io.IOException gone) {
        // already stopped
      }
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroy();
      }
    }
  }

  static double median(List<Double> x) {
    return median(x.stream().mapToDouble(Double::doubleValue).toArray());
  }

  static double median(double[] x) {
    double[] c = x.clone();
    Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }
}

package dev.odpo.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Batched autoregressive decoding with a KV cache.
 *
 * <p>Prompts are left-padded into one batch, prefilled once, then decoded one token per step for all rows;
 * finished rows keep stepping with a masked pad token until every row is done. Next-token logits are a
 * weighted sum of one or more models' logits, z = Σ wᵢ·zᵢ, so PILAF's π⁺ ((1+β)·z_θ − β·z_ref) and π⁻
 * ((1−β)·z_θ + β·z_ref) (Feng et al. 2025, eq. 9) are {@link #pilaf} decoders. The reported log-prob is
 * always the first model's (the policy's) own log π(y|x).
 *
 * <p>All randomness comes from the {@link Random} passed in: same seed, same samples.
 */
public final class Decoder {

  /** A model and its weight in the logit mix. */
  public record Component(LlamaModel model, double weight) {}

  private final List<Component> components;
  private final TextTokenizer tokenizer;
  private final LogitsProcessor processor;
  private final Set<Integer> eosIds;
  private final int padId;

  /**
   * @param components models whose logits are mixed; the first is the policy (its log-probs are reported)
   * @param tokenizer  for decoded text and stop strings; may be null (then text is null)
   * @param processor  extra logits processing before temperature/top-k/top-p; may be null
   */
  public Decoder(List<Component> components, TextTokenizer tokenizer, LogitsProcessor processor) {
    if (components.isEmpty()) {
      throw new IllegalArgumentException("at least one model is needed");
    }
    LlamaConfig c0 = components.get(0).model().config();
    for (Component c : components) {
      if (c.model().config().vocabSize() != c0.vocabSize()) {
        throw new IllegalArgumentException("mixed models must share a vocabulary: " + c0.vocabSize() + " vs "
            + c.model().config().vocabSize());
      }
      if (c.model().config().isRewardModel()) {
        throw new IllegalArgumentException("cannot generate with a reward model");
      }
    }
    this.components = List.copyOf(components);
    this.tokenizer = tokenizer;
    this.processor = processor;
    this.eosIds = new HashSet<>(c0.eosTokenIds());
    if (tokenizer != null && tokenizer.eosId() >= 0) {
      eosIds.add(tokenizer.eosId());
    }
    this.padId = c0.padTokenId() >= 0 ? c0.padTokenId() : (tokenizer != null ? tokenizer.padId() : 0);
  }

  /** A generator for one policy. */
  public Decoder(LlamaModel policy, TextTokenizer tokenizer) {
    this(List.of(new Component(policy, 1.0)), tokenizer, null);
  }

  /**
   * PILAF's interpolated (plus=false: (1−β)·z_θ + β·z_ref) or extrapolated (plus=true: (1+β)·z_θ − β·z_ref)
   * sampler.
   */
  public static Decoder pilaf(LlamaModel policy, LlamaModel reference, double beta, boolean plus,
                                TextTokenizer tokenizer) {
    double wt = plus ? 1 + beta : 1 - beta;
    double wr = plus ? -beta : beta;
    return new Decoder(List.of(new Component(policy, wt), new Component(reference, wr)), tokenizer, null);
  }

  /** Token ids that end a sequence (config's eos_token_id plus the tokenizer's EOS). */
  public Set<Integer> eosIds() {
    return Set.copyOf(eosIds);
  }

  /** Generates one continuation per prompt. */
  public List<Generation> generate(List<int[]> prompts, SamplingOptions options, Random rng) {
    return generate(prompts, options, rng, null);
  }

  /**
   * Generates one continuation per prompt; {@code onStep} (may be null) receives the number of tokens
   * generated so far per row after each decoding step, e.g. for a progress bar.
   */
  public List<Generation> generate(List<int[]> prompts, SamplingOptions options, Random rng,
                                   java.util.function.IntConsumer onStep) {
    int b = prompts.size();
    if (b == 0) {
      return List.of();
    }
    int p = 0;
    for (int[] pr : prompts) {
      if (pr.length == 0) {
        throw new IllegalArgumentException("empty prompt: give at least one token (e.g. BOS)");
      }
      p = Math.max(p, pr.length);
    }
    LogitsProcessor chain = chain(options);
    int v = components.get(0).model().config().vocabSize();
    List<KvCache> caches = new ArrayList<>();
    int[][] out = new int[b][options.maxNewTokens()];
    int[] count = new int[b];
    double[] logProb = new double[b];
    String[] finish = new String[b];
    String[] text = new String[b];
    try {
      for (Component c : components) {
        caches.add(c.model().newCache(b));
      }
      // prefill: left-padded prompts
      long[] ids = new long[b * p];
      long[] mask = new long[b * p];
      for (int r = 0; r < b; r++) {
        int[] pr = prompts.get(r);
        int off = p - pr.length;
        Arrays.fill(ids, r * p, r * p + off, padId);
        for (int i = 0; i < pr.length; i++) {
          ids[r * p + off + i] = pr[i];
          mask[r * p + off + i] = 1;
        }
      }
      float[][] logits = step(caches, ids, mask, b, p);
      for (int step = 0; ; step++) {
        long[] next = new long[b];
        long[] nextMask = new long[b];
        boolean anyActive = false;
        for (int r = 0; r < b; r++) {
          if (finish[r] != null) {
            next[r] = padId;
            continue;
          }
          float[] policyRow = Sampling.row(logits[0], r, v);
          float[] mixed = mix(logits, r, v);
          int[] generated = Arrays.copyOf(out[r], count[r]);
          int tok;
          if (options.greedy()) {
            if (processor != null) {
              processor.process(mixed, generated);
            }
            tok = Sampling.argmax(mixed);
          } else {
            chain.process(mixed, generated);
            tok = Sampling.sample(mixed, rng);
          }
          logProb[r] += Sampling.logProb(policyRow, tok);
          out[r][count[r]++] = tok;
          next[r] = tok;
          nextMask[r] = 1;
          if (eosIds.contains(tok)) {
            finish[r] = "eos";
          } else if (!options.stopStrings().isEmpty() && tokenizer != null) {
            String sofar = tokenizer.decode(Arrays.copyOf(out[r], count[r]));
            for (String s : options.stopStrings()) {
              int at = sofar.indexOf(s);
              if (at >= 0) {
                finish[r] = "stop";
                text[r] = sofar.substring(0, at);
                break;
              }
            }
          }
          if (finish[r] == null && count[r] == options.maxNewTokens()) {
            finish[r] = "length";
          }
          anyActive |= finish[r] == null;
        }
        if (onStep != null) {
          onStep.accept(step + 1);
        }
        if (!anyActive) {
          break;
        }
        logits = step(caches, next, nextMask, b, 1);
      }
    } finally {
      caches.forEach(KvCache::close);
    }
    List<Generation> result = new ArrayList<>(b);
    for (int r = 0; r < b; r++) {
      int[] toks = Arrays.copyOf(out[r], count[r]);
      String t = text[r];
      if (t == null && tokenizer != null) {
        t = tokenizer.decode(toks);
      }
      result.add(new Generation(prompts.get(r).clone(), toks, t, logProb[r], finish[r]));
    }
    return result;
  }

  /** Runs every model on (B, T) new tokens; returns each model's (B·V) last-position logits. */
  private float[][] step(List<KvCache> caches, long[] ids, long[] mask, int b, int t) {
    float[][] out = new float[components.size()][];
    for (int i = 0; i < components.size(); i++) {
      LlamaModel m = components.get(i).model();
      try (NDManager s = m.newStepManager()) {
        NDArray idArr = s.create(ids, new Shape(b, t));
        NDArray maskArr = s.create(mask, new Shape(b, t));
        out[i] = m.nextTokenLogits(idArr, maskArr, caches.get(i)).toFloatArray();   // (B, V)
      }
    }
    return out;
  }

  private float[] mix(float[][] logits, int r, int v) {
    if (components.size() == 1 && components.get(0).weight() == 1.0) {
      return Sampling.row(logits[0], r, v);
    }
    float[] z = new float[v];
    for (int i = 0; i < components.size(); i++) {
      float w = (float) components.get(i).weight();
      int base = r * v;
      for (int j = 0; j < v; j++) {
        z[j] += w * logits[i][base + j];
      }
    }
    return z;
  }

  private LogitsProcessor chain(SamplingOptions o) {
    LogitsProcessor c = processor != null ? processor : (l, g) -> { };
    if (o.greedy()) {
      return c;
    }
    if (o.temperature() != 1.0) {
      c = c.andThen(LogitsProcessor.temperature(o.temperature()));
    }
    if (o.topK() > 0) {
      c = c.andThen(LogitsProcessor.topK(o.topK()));
    }
    if (o.topP() < 1.0) {
      c = c.andThen(LogitsProcessor.topP(o.topP()));
    }
    return c;
  }
}

package dev.odpo.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A reward model: the decoder backbone with a scalar score head read at the last real (non-padding)
 * token of each sequence — Hugging Face's {@code *ForSequenceClassification} layout ({@code score.weight},
 * no bias), so it loads and saves like the policy.
 */
public final class RewardModel implements AutoCloseable {

  private final LlamaModel backbone;

  /** Wraps a model whose config is a *ForSequenceClassification layout. */
  public RewardModel(LlamaModel backbone) {
    if (!backbone.config().isRewardModel()) {
      throw new IllegalArgumentException(backbone.config().architecture() + " is not a *ForSequenceClassification model");
    }
    if (backbone.config().numLabels() != 1) {
      throw new IllegalArgumentException("a reward model needs num_labels = 1, got " + backbone.config().numLabels());
    }
    this.backbone = backbone;
  }

  /** A random reward model of the given shape (a causal-LM config is converted to the reward layout). */
  public static RewardModel random(LlamaConfig config, Device device, long seed) {
    LlamaConfig c = config.isRewardModel() ? config : config.asRewardModel();
    return new RewardModel(LlamaModel.random(c, device, seed));
  }

  /** Loads an HF *ForSequenceClassification directory. */
  public static RewardModel load(Path dir, Device device) throws IOException {
    return new RewardModel(LlamaModel.load(dir, device));
  }

  /**
   * A reward model initialised from a policy's backbone (the usual start: the SFT model), with a fresh
   * score head drawn from normal(0, 0.02) with a seeded RNG. The policy is not modified.
   */
  public static RewardModel fromPolicy(LlamaModel policy, long seed) {
    LlamaConfig c = policy.config().asRewardModel();
    NDManager m = NDManager.newBaseManager(policy.device());
    Map<String, NDArray> p = new LinkedHashMap<>();
    policy.parameters().forEach((k, v) -> {
      if (!k.equals("lm_head.weight")) {
        NDArray a = v.stopGradient().duplicate();
        a.attach(m);
        a.setName(k);
        p.put(k, a);
      }
    });
    Random rng = new Random(seed);
    float[] w = new float[c.hiddenSize()];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (rng.nextGaussian() * 0.02);
    }
    NDArray score = m.create(FloatBuffer.wrap(w), new Shape(1, c.hiddenSize()));
    score.setName("score.weight");
    p.put("score.weight", score);
    return new RewardModel(new LlamaModel(c, m, p));
  }

  public LlamaModel backbone() {
    return backbone;
  }

  public LlamaConfig config() {
    return backbone.config();
  }

  public void save(Path dir) throws IOException {
    backbone.save(dir);
  }

  /**
   * Scores each sequence at its last real token.
   *
   * @param inputIds      (B, T) token ids
   * @param attentionMask (B, T) 1 = real token (left or right padding); null = all real
   * @return (B) rewards (differentiable when the backbone is trainable)
   */
  public NDArray scores(NDArray inputIds, NDArray attentionMask) {
    NDManager work = inputIds.getManager();
    int b = (int) inputIds.getShape().get(0);
    int t = (int) inputIds.getShape().get(1);
    // one-hot selector of the last real position of each row: a matmul keeps the gather differentiable
    float[] sel = new float[b * t];
    int[] mask = null;
    if (attentionMask != null) {
      try (NDArray m = attentionMask.toType(DataType.INT32, true)) {
        mask = m.toIntArray();
      }
    }
    for (int r = 0; r < b; r++) {
      int last = -1;
      for (int i = 0; i < t; i++) {
        if (mask == null || mask[r * t + i] != 0) {
          last = i;
        }
      }
      if (last < 0) {
        throw new IllegalArgumentException("row " + r + " has no real token");
      }
      sel[r * t + last] = 1f;
    }
    NDArray selector = work.create(sel, new Shape(b, 1, t));                     // (B, 1, T)
    NDArray h = backbone.hiddenStates(inputIds, attentionMask, null);            // (B, T, D)
    NDArray pooled = selector.matMul(h);                                         // (B, 1, D)
    NDArray w = backbone.parameters().get("score.weight");                       // (1, D)
    return pooled.getNDArrayInternal().linear(pooled, w, null).singletonOrThrow().reshape(b);  // (B)
  }

  /** Scores a batch of token sequences (right-padded internally); convenience for inference. */
  public float[] score(java.util.List<int[]> sequences) {
    try (NDManager step = backbone.newStepManager()) {
      TokenBatch batch = TokenBatch.ofSequences(step, sequences, 0);
      return scores(batch.inputIds(), batch.attentionMask()).toFloatArray();
    }
  }

  @Override
  public void close() {
    backbone.close();
  }
}

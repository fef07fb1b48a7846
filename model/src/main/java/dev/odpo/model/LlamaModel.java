package dev.odpo.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A Llama-family decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU) written directly on DJL's
 * PyTorch engine, with weights held as named NDArrays.
 *
 * <p>Weights use Hugging Face names, except that q/k/v and gate/up are stored fused
 * ({@code self_attn.qkv_proj}, {@code mlp.gate_up_proj}) so each layer runs two matmuls fewer;
 * {@link HfCheckpoint} splits them again when saving. The forward pass is flat: the decoder loop and one layer.
 *
 * <p>Memory: a layer's intermediates are freed when the layer ends; the arrays a forward returns (and the
 * residual stream between layers) land in the manager of the input ids. Create the ids in a short-lived
 * sub-manager ({@link #newStepManager()}) and close it after backward / after sampling.
 * Constants used in the gradient path are NDArrays kept alive for the model's lifetime, never Java
 * scalars (see PLATFORM.md: scalar ops can corrupt gradients under GC).
 */
public final class LlamaModel implements AutoCloseable {

  private final LlamaConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> params;   // internal names → weights, in save order
  private final NDArray eps;                   // () rms_norm_eps
  private final NDArray one;                   // () 1
  private final NDArray attnScale;             // () 1 / sqrt(hd)
  private final NDArray rotateHalf;            // (hd, hd): x @ R = cat(-x2, x1)
  private final float[] invFreq;               // (hd/2) RoPE inverse frequencies
  private boolean trainable;

  LlamaModel(LlamaConfig config, NDManager manager, Map<String, NDArray> params) {
    this.config = config;
    this.manager = manager;
    this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    this.eps = manager.create((float) config.rmsNormEps());
    this.one = manager.create(1f);
    this.attnScale = manager.create((float) (1.0 / Math.sqrt(config.headDim())));
    int hd = config.headDim();
    int half = hd / 2;
    float[] r = new float[hd * hd];
    for (int j = 0; j < half; j++) {
      r[(j + half) * hd + j] = -1f;   // out[j] = -x[j + half]
      r[j * hd + j + half] = 1f;      // out[j + half] = x[j]
    }
    this.rotateHalf = manager.create(r, new Shape(hd, hd));
    this.invFreq = new float[half];
    for (int i = 0; i < half; i++) {
      double f = 1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / hd);
      invFreq[i] = (float) (config.llama3Rope() == null ? f : config.llama3Rope().scale(f));
    }
  }

  /** A randomly initialised model (normal(0, 0.02) weights, unit norms) from a seeded RNG: same seed, same model. */
  public static LlamaModel random(LlamaConfig config, Device device, long seed) {
    Random rng = new Random(seed);
    NDManager m = NDManager.newBaseManager(device);
    Map<String, NDArray> p = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : internalShapes(config).entrySet()) {
      long[] shape = e.getValue();
      float[] data = new float[(int) new Shape(shape).size()];
      if (e.getKey().endsWith("norm.weight")) {
        java.util.Arrays.fill(data, 1f);
      } else if (!e.getKey().endsWith(".bias")) {
        for (int i = 0; i < data.length; i++) {
          data[i] = (float) (rng.nextGaussian() * 0.02);
        }
      }
      NDArray a = m.create(FloatBuffer.wrap(data), new Shape(shape));
      a.setName(e.getKey());
      p.put(e.getKey(), a);
    }
    return new LlamaModel(config, m, p);
  }

  /** Loads a Hugging Face checkpoint directory (config.json + safetensors); see {@link HfCheckpoint}. */
  public static LlamaModel load(Path dir, Device device) throws IOException {
    return HfCheckpoint.load(dir, device);
  }

  /** Saves in Hugging Face format (config.json, model.safetensors); see {@link HfCheckpoint}. */
  public void save(Path dir) throws IOException {
    HfCheckpoint.save(this, dir);
  }

  /** Parameter shapes under the internal (fused) names, in save order. */
  static Map<String, long[]> internalShapes(LlamaConfig c) {
    Map<String, long[]> s = new LinkedHashMap<>();
    long d = c.hiddenSize();
    long qkv = (long) (c.numHeads() + 2 * c.numKvHeads()) * c.headDim();
    s.put("model.embed_tokens.weight", new long[] {c.vocabSize(), d});
    for (int l = 0; l < c.numLayers(); l++) {
      String p = "model.layers." + l + ".";
      s.put(p + "input_layernorm.weight", new long[] {d});
      s.put(p + "self_attn.qkv_proj.weight", new long[] {qkv, d});
      if (c.qkvBias()) {
        s.put(p + "self_attn.qkv_proj.bias", new long[] {qkv});
      }
      s.put(p + "self_attn.o_proj.weight", new long[] {d, (long) c.numHeads() * c.headDim()});
      s.put(p + "post_attention_layernorm.weight", new long[] {d});
      s.put(p + "mlp.gate_up_proj.weight", new long[] {2L * c.intermediateSize(), d});
      s.put(p + "mlp.down_proj.weight", new long[] {d, c.intermediateSize()});
    }
    s.put("model.norm.weight", new long[] {d});
    if (c.isRewardModel()) {
      s.put("score.weight", new long[] {c.numLabels(), d});
    } else if (!c.tieWordEmbeddings()) {
      s.put("lm_head.weight", new long[] {c.vocabSize(), d});
    }
    return s;
  }

  public LlamaConfig config() {
    return config;
  }

  public NDManager manager() {
    return manager;
  }

  public Device device() {
    return manager.getDevice();
  }

  /** Weights by internal name (fused qkv_proj / gate_up_proj), in save order. */
  public Map<String, NDArray> parameters() {
    return params;
  }

  /** A sub-manager for one step's inputs and intermediates; close it after backward or sampling. */
  public NDManager newStepManager() {
    return manager.newSubManager();
  }

  /** Starts recording for backward; parameters must be {@link #setTrainable trainable}. */
  public GradientCollector newGradientCollector() {
    if (!trainable) {
      throw new IllegalStateException("model is not trainable: call setTrainable(true) first");
    }
    return Engine.getEngine("PyTorch").newGradientCollector();
  }

  /** Attaches (or drops) gradients on every weight. A frozen model (e.g. π_ref) builds no graph. */
  public void setTrainable(boolean on) {
    if (on != trainable) {
      params.values().forEach(p -> p.setRequiresGradient(on));
      trainable = on;
    }
  }

  public boolean isTrainable() {
    return trainable;
  }

  /** An empty KV cache for a batch of {@code batch} rows. */
  public KvCache newCache(int batch) {
    return new KvCache(manager, config.numLayers(), batch);
  }

  /** An independent copy of this model (same config and weights, frozen), e.g. the DPO reference π_ref. */
  public LlamaModel copy() {
    NDManager m = NDManager.newBaseManager(manager.getDevice());
    Map<String, NDArray> p = new LinkedHashMap<>();
    params.forEach((k, v) -> {
      NDArray c = v.stopGradient().duplicate();
      c.attach(m);
      c.setName(k);
      p.put(k, c);
    });
    return new LlamaModel(config, m, p);
  }

  /** Overwrites this model's weights with another's of the same config (in place; optimizer state stays valid). */
  public void copyWeightsFrom(LlamaModel other) {
    if (!other.config.equals(config)) {
      throw new IllegalArgumentException("cannot copy weights between different configs");
    }
    boolean grad = ai.djl.pytorch.jni.JniUtils.isGradMode();
    ai.djl.pytorch.jni.JniUtils.setGradMode(false);
    try {
      params.forEach((k, v) -> v.set(other.params.get(k).toFloatArray()));
    } finally {
      ai.djl.pytorch.jni.JniUtils.setGradMode(grad);
    }
  }

  /**
   * Next-token logits for every position.
   *
   * @param inputIds      (B, T) token ids, INT64 or INT32
   * @param attentionMask (B, T) 1 for real tokens, 0 for padding (left or right); null = all real
   * @return (B, T, V) logits
   */
  public NDArray logits(NDArray inputIds, NDArray attentionMask) {
    return lmHead(hiddenStates(inputIds, attentionMask, null));
  }

  /**
   * Logits of the last position only, feeding the KV cache: the prefill and decode step of generation.
   *
   * @return (B, V) logits for position T-1 of each row
   */
  public NDArray nextTokenLogits(NDArray inputIds, NDArray attentionMask, KvCache cache) {
    NDArray h = hiddenStates(inputIds, attentionMask, cache);            // (B, T, D)
    NDArray last = h.get(new NDIndex(":, -1, :"));                       // (B, D)
    return lmHead(last);
  }

  /** (…, D) hidden → (…, V) logits through the LM head (the embedding when tied). */
  public NDArray lmHead(NDArray hidden) {
    if (config.isRewardModel()) {
      throw new IllegalStateException(config.architecture() + " has a score head, not an LM head");
    }
    NDArray w = config.tieWordEmbeddings() ? params.get("model.embed_tokens.weight") : params.get("lm_head.weight");
    return hidden.getNDArrayInternal().linear(hidden, w, null).singletonOrThrow();
  }

  /**
   * The decoder: final RMS-normed hidden states.
   *
   * @param inputIds      (B, T) new token ids
   * @param attentionMask (B, T) 1 = real token; null = all real
   * @param cache         past keys/values (extended in place), or null for a full forward
   * @return (B, T, D)
   */
  public NDArray hiddenStates(NDArray inputIds, NDArray attentionMask, KvCache cache) {
    NDManager work = inputIds.getManager();
    Shape shape = inputIds.getShape();
    if (shape.dimension() != 2) {
      throw new IllegalArgumentException("input ids must be (B, T), got " + shape);
    }
    int b = (int) shape.get(0);
    int t = (int) shape.get(1);
    int[] mask = hostMask(attentionMask, b, t);
    int past = cache == null ? 0 : cache.length();
    if (cache != null && cache.batchSize() != b) {
      throw new IllegalArgumentException("cache holds " + cache.batchSize() + " rows, input has " + b);
    }
    if (past + t > config.maxPositions()) {
      throw new IllegalArgumentException("sequence length " + (past + t) + " exceeds max_position_embeddings "
          + config.maxPositions());
    }
    int[] positions = positions(mask, b, t, cache);
    if (cache != null) {
      cache.extend(mask, t);
    }
    int s = past + t;
    int[] keyMask = cache == null ? mask : cache.keyMask();

    // host-built constants for this step: additive attention mask and RoPE tables
    NDArray attnMask = work.create(additiveMask(keyMask, b, t, s, past), new Shape(b, 1, t, s));  // (B, 1, T, S)
    NDArray[] rope = ropeTables(work, positions, b, t);                                         // (B, T, 1, hd) x2

    // token embedding
    NDArray ids = inputIds.getDataType() == DataType.INT64 ? inputIds : inputIds.toType(DataType.INT64, false);
    NDArray x = ids.getNDArrayInternal()
        .embedding(ids, params.get("model.embed_tokens.weight"), SparseFormat.DENSE).singletonOrThrow();  // (B, T, D)
    x.attach(work);

    for (int l = 0; l < config.numLayers(); l++) {
      // each layer's intermediates live in their own scope, freed when the layer ends (as eager PyTorch frees
      // them): holding every activation of the pass until the step ends made each op touch fresh memory. The
      // recorded graph keeps its own references to what backward needs, so closing the handles is safe.
      try (NDManager layer = work.newSubManager()) {
        x.attach(layer);
        x = layer(l, x, attnMask, rope, cache, b, t, s);
        x.attach(work);
      }
    }
    return rmsNorm(x, params.get("model.norm.weight"));
  }

  /** One decoder layer: attention and MLP blocks with their residuals; (B, T, D) → (B, T, D). */
  private NDArray layer(int l, NDArray x, NDArray attnMask, NDArray[] rope, KvCache cache, int b, int t, int s) {
    int h = config.numHeads();
    int hkv = config.numKvHeads();
    int g = h / hkv;
    int hd = config.headDim();
    String p = "model.layers." + l + ".";
    // attention block: RMSNorm, fused qkv matmul
    NDArray xn = rmsNorm(x, params.get(p + "input_layernorm.weight"));
    NDArray qkv = linear(xn, params.get(p + "self_attn.qkv_proj.weight"), params.get(p + "self_attn.qkv_proj.bias"))
        .reshape(b, t, h + 2 * hkv, hd);                                                     // (B, T, H+2Hkv, hd)
    NDList qkAndV = qkv.split(new long[] {h + hkv}, 2);
    // RoPE on queries and keys together: x·cos + rotate_half(x)·sin
    NDArray qk = qkAndV.get(0);                                                               // (B, T, H+Hkv, hd)
    qk = qk.mul(rope[0]).add(qk.matMul(rotateHalf).mul(rope[1]));
    NDList qAndK = qk.split(new long[] {h}, 2);
    NDArray q = qAndK.get(0).mul(attnScale).transpose(0, 2, 1, 3);                            // (B, H, T, hd)
    NDArray kT = qAndK.get(1).transpose(0, 2, 3, 1);                                          // (B, Hkv, hd, T)
    NDArray v = qkAndV.get(1).transpose(0, 2, 1, 3);                                          // (B, Hkv, T, hd)
    if (cache != null) {
      NDArray[] kv = cache.append(l, kT, v);
      kT = kv[0];                                                                             // (B, Hkv, hd, S)
      v = kv[1];                                                                              // (B, Hkv, S, hd)
    }
    // grouped-query attention: fold the G query heads of a kv head into the row axis
    if (g > 1) {
      q = q.reshape(b, hkv, (long) g * t, hd);                                                // (B, Hkv, G*T, hd)
    }
    NDArray scores = q.matMul(kT);                                                            // (B, Hkv, G*T, S)
    if (g > 1) {
      scores = scores.reshape(b, h, t, s);                                                    // (B, H, T, S)
    }
    NDArray probs = scores.add(attnMask).softmax(3);
    if (g > 1) {
      probs = probs.reshape(b, hkv, (long) g * t, s);
    }
    NDArray attn = probs.matMul(v)                                                            // (B, Hkv, G*T, hd)
        .reshape(b, h, t, hd).transpose(0, 2, 1, 3).reshape(b, t, (long) h * hd);             // (B, T, H*hd)
    x = x.add(linear(attn, params.get(p + "self_attn.o_proj.weight"), null));                 // residual
    // MLP block: RMSNorm, fused gate/up matmul, SwiGLU, down
    NDArray xn2 = rmsNorm(x, params.get(p + "post_attention_layernorm.weight"));
    NDList gateUp = linear(xn2, params.get(p + "mlp.gate_up_proj.weight"), null)
        .split(2, 2);                                                                          // 2 x (B, T, F)
    NDArray gate = gateUp.get(0);
    NDArray act = gate.mul(Activation.sigmoid(gate)).mul(gateUp.get(1));                      // silu(gate) * up
    return x.add(linear(act, params.get(p + "mlp.down_proj.weight"), null));                  // residual
  }

  /**
   * RMSNorm: x · (1 / sqrt(mean(x²) + eps)) · w over the last axis. The reciprocal is taken on the (…, 1) mean,
   * so the full-size ops are products, whose backward is cheaper than a quotient's (as HF's rsqrt form).
   */
  private NDArray rmsNorm(NDArray x, NDArray w) {
    NDArray ms = x.square().mean(new int[] {-1}, true);                                        // (…, 1)
    NDArray inv = one.div(ms.add(eps).sqrt());                                                 // (…, 1)
    inv.attach(x.getManager());   // a result lands in its first operand's manager: here the model's
    return x.mul(inv).mul(w);
  }

  private static NDArray linear(NDArray x, NDArray w, NDArray bias) {
    return x.getNDArrayInternal().linear(x, w, bias).singletonOrThrow();
  }

  private static int[] hostMask(NDArray attentionMask, int b, int t) {
    int[] mask = new int[b * t];
    if (attentionMask == null) {
      java.util.Arrays.fill(mask, 1);
      return mask;
    }
    if (!attentionMask.getShape().equals(new Shape(b, t))) {
      throw new IllegalArgumentException("attention mask must be (" + b + ", " + t + "), got "
          + attentionMask.getShape());
    }
    try (NDArray m = attentionMask.toType(DataType.INT32, true)) {
      int[] src = m.toIntArray();
      for (int i = 0; i < src.length; i++) {
        mask[i] = src[i] != 0 ? 1 : 0;
      }
    }
    return mask;
  }

  /** Position ids: the count of real tokens before each token in its row, so padding never shifts them. */
  private static int[] positions(int[] mask, int b, int t, KvCache cache) {
    int[] pos = new int[b * t];
    for (int r = 0; r < b; r++) {
      int seen = cache == null ? 0 : cache.realTokens(r);
      for (int i = 0; i < t; i++) {
        if (mask[r * t + i] != 0) {
          pos[r * t + i] = seen++;
        } else {
          pos[r * t + i] = Math.max(0, seen - 1);
        }
      }
    }
    return pos;
  }

  /** (B, 1, T, S) additive mask: 0 where query t may attend key j (causal, key is real), -1e9 elsewhere. */
  private static float[] additiveMask(int[] keyMask, int b, int t, int s, int past) {
    float[] m = new float[b * t * s];
    for (int r = 0; r < b; r++) {
      for (int i = 0; i < t; i++) {
        int base = (r * t + i) * s;
        for (int j = 0; j < s; j++) {
          boolean ok = j <= past + i && keyMask[r * s + j] != 0;
          m[base + j] = ok ? 0f : -1e9f;
        }
      }
    }
    return m;
  }

  /** cos and sin tables (B, T, 1, hd) for the given positions, as HF computes them (cat(freqs, freqs)). */
  private NDArray[] ropeTables(NDManager work, int[] positions, int b, int t) {
    int hd = config.headDim();
    int half = hd / 2;
    float[] cos = new float[b * t * hd];
    float[] sin = new float[b * t * hd];
    float scale = (float) (1.0 / config.ropeLinearFactor());
    for (int n = 0; n < b * t; n++) {
      float pos = positions[n] * scale;
      for (int i = 0; i < half; i++) {
        float f = pos * invFreq[i];
        float c = (float) Math.cos(f);
        float sn = (float) Math.sin(f);
        cos[n * hd + i] = c;
        cos[n * hd + i + half] = c;
        sin[n * hd + i] = sn;
        sin[n * hd + i + half] = sn;
      }
    }
    Shape shape = new Shape(b, t, 1, hd);
    return new NDArray[] {work.create(cos, shape), work.create(sin, shape)};
  }

  @Override
  public void close() {
    manager.close();
  }
}

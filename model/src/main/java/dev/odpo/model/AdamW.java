package dev.odpo.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov &amp; Hutter 2019, Algorithm 2) over a model's weights, with optional global-norm
 * gradient clipping. Decoupled weight decay applies to matrices only (not to norms and biases), as HF's
 * Trainer does. Each {@link #step()} zeroes the gradients afterwards. The update is Adam's "efficient"
 * form, w −= α·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε). On the CPU the update runs in place over the arrays' own
 * memory, one pass per weight; elsewhere it is DJL's fused native update, one call per weight.
 */
public final class AdamW implements AutoCloseable {

  /** Elements per chunk of the host-memory update: four chunks stay in the L1/L2 cache. */
  private static final int CHUNK = 4096;
  private static final float[] ZEROS = new float[CHUNK];

  /**
   * @param learningRate  step size α
   * @param beta1         first-moment decay
   * @param beta2         second-moment decay
   * @param epsilon       denominator guard
   * @param weightDecay   decoupled decay λ for matrices
   * @param maxGradNorm   clip the global gradient L2 norm to this (≤ 0 = no clipping)
   */
  public record Options(double learningRate, double beta1, double beta2, double epsilon, double weightDecay,
                        double maxGradNorm) {
    public Options {
      if (!(learningRate > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon > 0)
          || weightDecay < 0) {
        throw new IllegalArgumentException("invalid AdamW options: " + this);
      }
    }

    public static Options of(double learningRate) {
      return new Options(learningRate, 0.9, 0.999, 1e-8, 0.0, 1.0);
    }

    public Options withWeightDecay(double wd) {
      return new Options(learningRate, beta1, beta2, epsilon, wd, maxGradNorm);
    }

    public Options withMaxGradNorm(double norm) {
      return new Options(learningRate, beta1, beta2, epsilon, weightDecay, norm);
    }

    public Options withLearningRate(double lr) {
      return new Options(lr, beta1, beta2, epsilon, weightDecay, maxGradNorm);
    }
  }

  private final LlamaModel model;
  private final NDManager manager;
  private final Map<String, NDArray> m = new LinkedHashMap<>();
  private final Map<String, NDArray> v = new LinkedHashMap<>();
  private final float[][] chunks = new float[4][CHUNK];
  private Options options;
  private long steps;

  /** Makes the model trainable and allocates zero moments. */
  public AdamW(LlamaModel model, Options options) {
    this.model = model;
    this.options = options;
    this.manager = model.manager().newSubManager();
    model.setTrainable(true);
    model.parameters().forEach((k, p) -> {
      m.put(k, manager.zeros(p.getShape()));
      v.put(k, manager.zeros(p.getShape()));
    });
  }

  public Options options() {
    return options;
  }

  /** Changes the learning rate (schedules); moments are kept. */
  public void setLearningRate(double lr) {
    options = options.withLearningRate(lr);
  }

  public long steps() {
    return steps;
  }

  /** Applies one update from the accumulated gradients, then zeroes them. Returns the pre-clip gradient norm. */
  public double step() {
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager tmp = manager.newSubManager()) {
      Map<String, NDArray> grads = new LinkedHashMap<>();
      model.parameters().forEach((k, p) -> {
        NDArray g = p.getGradient();
        g.attach(tmp);
        grads.put(k, g);
      });
      return inHostMemory(grads) ? stepInHostMemory(grads) : stepOnDevice(grads);
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  /** The bias-corrected step size α·√(1−β2ᵗ)/(1−β1ᵗ) of update {@code t} (Kingma &amp; Ba 2015, end of section 2). */
  private double correctedRate(long t) {
    return options.learningRate() * Math.sqrt(1 - Math.pow(options.beta2(), t)) / (1 - Math.pow(options.beta1(), t));
  }

  private double clipFactor(double norm) {
    return options.maxGradNorm() > 0 && norm > options.maxGradNorm() ? options.maxGradNorm() / norm : 1.0;
  }

  private double decayOf(NDArray weight) {
    return weight.getShape().dimension() > 1 ? options.weightDecay() : 0;
  }

  /**
   * True when every weight, gradient and moment is a dense F32 array in this process's memory (the CPU engine).
   * They are also contiguous: weights and moments are created so, and PyTorch lays gradients out as their weights.
   */
  private boolean inHostMemory(Map<String, NDArray> grads) {
    if (!model.device().equals(Device.cpu())) {
      return false;
    }
    for (Map.Entry<String, NDArray> e : grads.entrySet()) {
      String k = e.getKey();
      for (NDArray a : new NDArray[] {model.parameters().get(k), e.getValue(), m.get(k), v.get(k)}) {
        if (a.getDataType() != DataType.FLOAT32 || a.isSparse()) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * The whole update in two passes over the host memory of the arrays: PyTorch's norm reads the gradients for
   * the global norm, then one loop updates weight, moments and gradient (to zero) element by element. DJL's
   * native update makes about a dozen passes and temporaries per weight (a clone of the gradient, the decay,
   * the bias-corrected quotient), which cost more than the arithmetic.
   */
  private double stepInHostMemory(Map<String, NDArray> grads) {
    Map<String, FloatBuffer> g = new LinkedHashMap<>();
    grads.forEach((k, a) -> g.put(k, floats(a)));
    double sq = 0;
    for (NDArray a : grads.values()) {
      double n = a.norm().getFloat();   // PyTorch's vectorised reduction: a fraction of a scalar loop's time
      sq += n * n;
    }
    double norm = Math.sqrt(sq);
    if (!Double.isFinite(norm)) {
      zeroGradients();
      throw new ArithmeticException("gradient norm is " + norm + "; update skipped");
    }
    steps++;
    float clip = (float) clipFactor(norm);
    float rate = (float) correctedRate(steps);
    float b1 = (float) options.beta1();
    float b2 = (float) options.beta2();
    float eps = (float) options.epsilon();
    for (Map.Entry<String, FloatBuffer> e : g.entrySet()) {
      String k = e.getKey();
      NDArray p = model.parameters().get(k);
      float keep = (float) (1 - options.learningRate() * decayOf(p));
      update(floats(p), e.getValue(), floats(m.get(k)), floats(v.get(k)), clip, keep, rate, b1, b2, eps);
    }
    return norm;
  }

  /**
   * One weight: w ← w·(1 − αλ) (decoupled decay, Loshchilov &amp; Hutter 2019, Algorithm 2, line 12), then
   * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², w ← w − α̂·m / (√v + ε), and g ← 0; g is the clipped gradient.
   * The arrays are copied a chunk at a time into Java arrays (bulk copies) so that the arithmetic runs as one
   * loop over plain float arrays, which the JIT compiles to SIMD instructions; element accesses straight
   * into native memory are not vectorised.
   */
  private void update(FloatBuffer w, FloatBuffer grad, FloatBuffer m, FloatBuffer v, float clip, float keep,
                      float rate, float b1, float b2, float eps) {
    float[] wc = chunks[0];
    float[] gc = chunks[1];
    float[] mc = chunks[2];
    float[] vc = chunks[3];
    int n = w.limit();
    for (int from = 0; from < n; from += CHUNK) {
      int len = Math.min(CHUNK, n - from);
      w.get(from, wc, 0, len);
      grad.get(from, gc, 0, len);
      m.get(from, mc, 0, len);
      v.get(from, vc, 0, len);
      updateChunk(wc, gc, mc, vc, len, clip, keep, rate, b1, b2, eps);
      w.put(from, wc, 0, len);
      m.put(from, mc, 0, len);
      v.put(from, vc, 0, len);
      grad.put(from, ZEROS, 0, len);
    }
  }

  private static void updateChunk(float[] w, float[] g, float[] m, float[] v, int len, float clip, float keep,
                                  float rate, float b1, float b2, float eps) {
    float c1 = 1 - b1;
    float c2 = 1 - b2;
    for (int i = 0; i < len; i++) {
      float gi = g[i] * clip;
      float mi = b1 * m[i] + c1 * gi;
      float vi = b2 * v[i] + c2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      w[i] = w[i] * keep - rate * mi / ((float) Math.sqrt(vi) + eps);
    }
  }

  /** The array's own memory (not a copy) as floats. */
  private static FloatBuffer floats(NDArray a) {
    return a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  /** Elsewhere (an accelerator): DJL's fused native update, one call per weight. */
  private double stepOnDevice(Map<String, NDArray> grads) {
    NDArray sq = null;
    for (NDArray g : grads.values()) {
      NDArray s = g.square().sum();
      sq = sq == null ? s : sq.addi(s);
    }
    double norm = Math.sqrt(sq.getFloat());   // one host sync per step
    if (!Double.isFinite(norm)) {
      zeroGradients();
      throw new ArithmeticException("gradient norm is " + norm + "; update skipped");
    }
    steps++;
    float clip = (float) clipFactor(norm);
    float lr = (float) options.learningRate();
    float rate = (float) correctedRate(steps);
    for (Map.Entry<String, NDArray> e : grads.entrySet()) {
      String k = e.getKey();
      NDArray p = model.parameters().get(k);
      JniUtils.adamUpdate((PtNDArray) p, (PtNDArray) e.getValue(), (PtNDArray) m.get(k), (PtNDArray) v.get(k), lr,
          rate, (float) decayOf(p), clip, -1f, (float) options.beta1(), (float) options.beta2(),
          (float) options.epsilon(), true);
      JniUtils.zeroGrad((PtNDArray) p);
    }
    return norm;
  }

  /** Zeroes gradients without updating (e.g. after a skipped batch). */
  public void zeroGradients() {
    model.parameters().values().forEach(p -> JniUtils.zeroGrad((PtNDArray) p));
  }

  /** First and second moments by parameter name, for checkpointing optimizer state. */
  public Map<String, NDArray> firstMoments() {
    return m;
  }

  public Map<String, NDArray> secondMoments() {
    return v;
  }

  /** Restores the step count (with moments set through {@link #firstMoments()}/{@link #secondMoments()}). */
  public void setSteps(long steps) {
    this.steps = steps;
  }

  @Override
  public void close() {
    manager.close();
  }
}

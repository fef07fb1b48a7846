package dev.odpo.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov &amp; Hutter 2019, Algorithm 2) over a model's weights, with optional global-norm
 * gradient clipping. Decoupled weight decay applies to matrices only (not to norms and biases), as HF's
 * Trainer does. Each {@link #step()} zeroes the gradients afterwards. The update is Adam's "efficient"
 * form, w −= α·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε), one fused native call per weight.
 */
public final class AdamW implements AutoCloseable {

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
      NDArray sq = null;
      for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
        NDArray g = e.getValue().getGradient();
        g.attach(tmp);
        grads.put(e.getKey(), g);
        NDArray s = g.square().sum();
        sq = sq == null ? s : sq.addi(s);
      }
      double norm = Math.sqrt(sq.getFloat());   // one host sync per step
      if (!Double.isFinite(norm)) {
        grads.keySet().forEach(k -> JniUtils.zeroGrad((PtNDArray) model.parameters().get(k)));
        throw new ArithmeticException("gradient norm is " + norm + "; update skipped");
      }
      double clip = options.maxGradNorm() > 0 && norm > options.maxGradNorm() ? options.maxGradNorm() / norm : 1.0;
      steps++;
      double b1 = options.beta1();
      double b2 = options.beta2();
      double bc1 = 1 - Math.pow(b1, steps);
      double bc2 = 1 - Math.pow(b2, steps);
      double lr = options.learningRate();
      // one fused native update per weight (DJL's adamUpdate): the clip factor enters as the gradient
      // rescale; Adam's bias corrections fold into the step size (Kingma & Ba 2015, end of section 2)
      float lrCorrected = (float) (lr * Math.sqrt(bc2) / bc1);
      for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
        String k = e.getKey();
        NDArray p = e.getValue();
        float wd = p.getShape().dimension() > 1 ? (float) options.weightDecay() : 0f;
        JniUtils.adamUpdate((PtNDArray) p, (PtNDArray) grads.get(k), (PtNDArray) m.get(k), (PtNDArray) v.get(k),
            (float) lr, lrCorrected, wd, (float) clip, -1f, (float) b1, (float) b2, (float) options.epsilon(), true);
        JniUtils.zeroGrad((PtNDArray) p);
      }
      return norm;
    } finally {
      JniUtils.setGradMode(gradMode);
    }
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

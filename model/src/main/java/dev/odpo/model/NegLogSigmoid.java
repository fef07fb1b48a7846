package dev.odpo.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * −log σ(x), the logistic loss of a margin x, in its numerically stable form softplus(−x):
 * = max(−x, 0) + log(1 + e^(−|x|)), finite for every finite x (log σ(−100) would underflow to −∞ if
 * computed as log(1 / (1 + e^100))).
 *
 * <p>The one home of the Bradley–Terry / DPO logistic loss: the reward-model trainer applies it to
 * r(x, y_w) − r(x, y_l), the DPO loss to β·ρ.
 */
public final class NegLogSigmoid {

  private NegLogSigmoid() {}

  /** −log σ(x) for one value. */
  public static double of(double x) {
    return Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }

  /**
   * Element-wise −log σ(x) in the gradient path: PyTorch's softplus of −x, which is stable and builds
   * no Java-side scalar (see {@link LlamaModel} on scalars under a gradient collector).
   *
   * @param x (…) margins
   * @return (…) losses, same shape
   */
  public static NDArray of(NDArray x) {
    return Activation.softPlus(x.neg());
  }
}

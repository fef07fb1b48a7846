package dev.odpo.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import java.util.Arrays;
import java.util.Locale;

/**
 * The direct-preference loss family f(ρ), one pure function of the four summed log-probs of a pair:
 *
 * <pre>
 *   ρ = [log π_θ(y_w|x) − log π_ref(y_w|x)] − [log π_θ(y_l|x) − log π_ref(y_l|x)]
 *
 *   sigmoid  (1 − ε)·(−log σ(β·ρ)) + ε·(−log σ(−β·ρ))
 *   ipo      (ρ − 1/(2β))²
 *   hinge    max(0, 1 − β·ρ)
 * </pre>
 *
 * <ul>
 *   <li>{@code sigmoid}: DPO, "Direct Preference Optimization: Your Language Model is Secretly a Reward Model"
 *       (arXiv:2305.18290, eq. 7). With label smoothing ε the preference label is taken to be flipped with
 *       probability ε (conservative DPO), which bounds the loss's pull once a pair is learned.</li>
 *   <li>{@code ipo}: "A General Theoretical Paradigm to Understand Learning from Human Preferences"
 *       (arXiv:2310.12036): regresses ρ to the finite target 1/(2β) (β is the paper's τ), so ρ is not
 *       pushed to infinity on deterministic preferences.</li>
 *   <li>{@code hinge}: the calibration loss of "SLiC-HF: Sequence Likelihood Calibration with Human Feedback"
 *       (arXiv:2305.10425), written with the reference log-ratio as the other members are: zero once β·ρ
 *       exceeds the margin 1.</li>
 * </ul>
 *
 * β·[log π_θ(y|x) − log π_ref(y|x)] is the implicit reward of a response (the DPO paper, section 5);
 * {@link Output} returns it for the chosen and rejected responses, detached, for metrics. The batch loss is
 * the weighted mean Σ wᵢ·f(ρᵢ) / Σ wᵢ, so a pair of weight 2 counts as two pairs.
 *
 * @param kind           which member of the family
 * @param beta           β &gt; 0: strength of the KL regularisation towards π_ref (larger = stay closer)
 * @param labelSmoothing ε in [0, 0.5): assumed label-flip probability, sigmoid only
 */
public record DpoLoss(Kind kind, double beta, double labelSmoothing) {

  /** The members of the family, by the names settings use. */
  public enum Kind {
    SIGMOID, IPO, HINGE;

    /** The setting's spelling: sigmoid, ipo, hinge. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The kind named {@code name}; an unknown name fails with the names that exist. */
    public static Kind parse(String name) {
      for (Kind k : values()) {
        if (k.label().equals(name == null ? null : name.trim().toLowerCase(Locale.ROOT))) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown loss '" + name + "'; expected one of "
          + String.join(", ", Arrays.stream(values()).map(Kind::label).toList()));
    }
  }

  public DpoLoss {
    if (kind == null) {
      throw new IllegalArgumentException("loss kind is required");
    }
    if (!(beta > 0) || !Double.isFinite(beta)) {
      throw new IllegalArgumentException("beta must be a finite number > 0, got " + beta);
    }
    if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
      throw new IllegalArgumentException("label smoothing must be in [0, 0.5), got " + labelSmoothing);
    }
    if (labelSmoothing > 0 && kind != Kind.SIGMOID) {
      throw new IllegalArgumentException("label smoothing applies to the sigmoid loss only, not " + kind.label());
    }
  }

  /** The loss named {@code name} (sigmoid, ipo, hinge); unknown names and bad values fail here, at start. */
  public static DpoLoss parse(String name, double beta, double labelSmoothing) {
    return new DpoLoss(Kind.parse(name), beta, labelSmoothing);
  }

  /** ρ, the policy's log-ratio margin over the reference, from the four summed log-probs of a pair. */
  public static double logRatioMargin(double policyChosen, double policyRejected, double refChosen,
                                      double refRejected) {
    return (policyChosen - refChosen) - (policyRejected - refRejected);
  }

  /** f(ρ) for one pair. */
  public double value(double rho) {
    return switch (kind) {
      case SIGMOID -> (1 - labelSmoothing) * NegLogSigmoid.of(beta * rho)
          + labelSmoothing * NegLogSigmoid.of(-beta * rho);
      case IPO -> Math.pow(rho - 1 / (2 * beta), 2);
      case HINGE -> Math.max(0, 1 - beta * rho);
    };
  }

  /** f(ρ) for one pair, from its four summed log-probs. */
  public double value(double policyChosen, double policyRejected, double refChosen, double refRejected) {
    return value(logRatioMargin(policyChosen, policyRejected, refChosen, refRejected));
  }

  /**
   * The batch loss and its per-pair parts.
   *
   * @param loss            () weighted mean of {@code perPair}, in the gradient path
   * @param perPair         (B) f(ρ) of each pair
   * @param logRatioMargin  (B) ρ, detached
   * @param chosenRewards   (B) β·(log π_θ(y_w|x) − log π_ref(y_w|x)), detached
   * @param rejectedRewards (B) β·(log π_θ(y_l|x) − log π_ref(y_l|x)), detached
   */
  public record Output(NDArray loss, NDArray perPair, NDArray logRatioMargin, NDArray chosenRewards,
                       NDArray rejectedRewards) {}

  /**
   * The loss of a batch of pairs. Its constants are created in the manager of {@code policyChosen} (a step
   * manager), so they live until that manager closes after backward.
   *
   * @param policyChosen   (B) Σ log π_θ(y_w|x), in the gradient path
   * @param policyRejected (B) Σ log π_θ(y_l|x), in the gradient path
   * @param refChosen      (B) Σ log π_ref(y_w|x), no gradient
   * @param refRejected    (B) Σ log π_ref(y_l|x), no gradient
   * @param weights        (B) per-pair weights &gt; 0
   */
  public Output compute(NDArray policyChosen, NDArray policyRejected, NDArray refChosen, NDArray refRejected,
                        NDArray weights) {
    NDManager m = policyChosen.getManager();
    NDArray b = m.create((float) beta);                                               // ()
    NDArray chosenLogRatio = policyChosen.sub(refChosen);                             // (B)
    NDArray rejectedLogRatio = policyRejected.sub(refRejected);                       // (B)
    NDArray rho = chosenLogRatio.sub(rejectedLogRatio);                               // (B)
    NDArray perPair = switch (kind) {
      case SIGMOID -> {
        NDArray z = rho.mul(b);
        NDArray l = NegLogSigmoid.of(z);
        if (labelSmoothing > 0) {
          // the flipped label's loss −log σ(−z), weighted by the flip probability
          l = l.mul(m.create((float) (1 - labelSmoothing)))
              .add(NegLogSigmoid.of(z.neg()).mul(m.create((float) labelSmoothing)));
        }
        yield l;
      }
      case IPO -> rho.sub(m.create((float) (1 / (2 * beta)))).square();
      case HINGE -> Activation.relu(m.create(1f).sub(rho.mul(b)));
    };                                                                                // (B)
    NDArray loss = perPair.mul(weights).sum().div(weights.sum());                     // ()
    return new Output(loss, perPair, rho.stopGradient(), chosenLogRatio.mul(b).stopGradient(),
        rejectedLogRatio.mul(b).stopGradient());
  }
}

package dev.odpo.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Loss values and gradients against numbers worked out by hand. The pair used throughout has summed
 * log-probs π_θ(y_w) = −10, π_θ(y_l) = −12, π_ref(y_w) = −11, π_ref(y_l) = −11, so
 * ρ = (−10 + 11) − (−12 + 11) = 2.
 */
class DpoLossTest {

  private static final double PC = -10;
  private static final double PR = -12;
  private static final double RC = -11;
  private static final double RR = -11;

  @Test
  void negLogSigmoidIsFiniteAndExactAtTheExtremes() {
    assertThat(NegLogSigmoid.of(0)).isCloseTo(Math.log(2), within(1e-15));
    assertThat(NegLogSigmoid.of(-1000)).isEqualTo(1000.0);          // a naive log(1 + e^1000) is +inf
    assertThat(NegLogSigmoid.of(1000)).isEqualTo(0.0);
    assertThat(NegLogSigmoid.of(2)).isCloseTo(Math.log(1 + Math.exp(-2)), within(1e-15));
    try (NDManager m = NDManager.newBaseManager()) {
      float[] x = {-1000f, -100f, -20f, -1f, 0f, 1f, 20f, 100f, 1000f};
      float[] y = NegLogSigmoid.of(m.create(x)).toFloatArray();
      for (int i = 0; i < x.length; i++) {
        assertThat((double) y[i]).as("−log σ(%s)", x[i]).isFinite()
            .isCloseTo(NegLogSigmoid.of(x[i]), within(1e-5 * Math.max(1, Math.abs(x[i]))));
      }
    }
  }

  @Test
  void sigmoidValueAndGradientMatchTheHandComputation() {
    // −log σ(0.1·2) = log(1 + e^−0.2) = 0.598138869; ∂/∂π_θ(y_w) = −β·σ(−βρ) = −0.1·0.450166003
    Pair p = run(DpoLoss.parse("sigmoid", 0.1, 0));
    assertThat(p.loss).isCloseTo(0.598138869, within(1e-6));
    assertThat(p.gradChosen).isCloseTo(-0.0450166003, within(1e-6));
    assertThat(p.gradRejected).isCloseTo(0.0450166003, within(1e-6));
  }

  @Test
  void labelSmoothingMixesInTheFlippedLabel() {
    // 0.9·0.598138869 + 0.1·(0.2 + 0.598138869) = 0.618138869; gradient −β·(0.9·σ(−0.2) − 0.1·σ(0.2))
    Pair p = run(DpoLoss.parse("sigmoid", 0.1, 0.1));
    assertThat(p.loss).isCloseTo(0.618138869, within(1e-6));
    double sigmaMinus = 1 / (1 + Math.exp(0.2));
    assertThat(p.gradChosen).isCloseTo(-0.1 * (0.9 * sigmaMinus - 0.1 * (1 - sigmaMinus)), within(1e-6));
    assertThat(p.gradChosen).isNegative();
  }

  @Test
  void ipoRegressesTheMarginToOneOverTwoBeta() {
    // target 1/(2·0.1) = 5: (2 − 5)² = 9, ∂/∂π_θ(y_w) = 2·(2 − 5) = −6 (raise the margin)
    Pair below = run(DpoLoss.parse("ipo", 0.1, 0));
    assertThat(below.loss).isCloseTo(9, within(1e-5));
    assertThat(below.gradChosen).isCloseTo(-6, within(1e-5));
    assertThat(below.gradRejected).isCloseTo(6, within(1e-5));
    // past the target the pull reverses: β = 0.5, target 1, (2 − 1)² = 1, gradient +2
    Pair above = run(DpoLoss.parse("ipo", 0.5, 0));
    assertThat(above.loss).isCloseTo(1, within(1e-5));
    assertThat(above.gradChosen).isCloseTo(2, within(1e-5));
  }

  @Test
  void hingeStopsPullingOnceTheMarginIsMet() {
    // β·ρ = 0.2 < 1: loss 0.8, ∂/∂π_θ(y_w) = −β
    Pair inside = run(DpoLoss.parse("hinge", 0.1, 0));
    assertThat(inside.loss).isCloseTo(0.8, within(1e-6));
    assertThat(inside.gradChosen).isCloseTo(-0.1, within(1e-6));
    assertThat(inside.gradRejected).isCloseTo(0.1, within(1e-6));
    // β·ρ = 2 ≥ 1: no loss, no gradient
    Pair met = run(DpoLoss.parse("hinge", 1.0, 0));
    assertThat(met.loss).isZero();
    assertThat(met.gradChosen).isZero();
  }

  @Test
  void batchLossIsTheWeightedMeanAndMatchesTheScalarFormula() {
    Random rng = new Random(7);
    int b = 16;
    float[][] lp = new float[4][b];
    float[] w = new float[b];
    for (int i = 0; i < b; i++) {
      for (int k = 0; k < 4; k++) {
        lp[k][i] = (float) (-20 + 10 * rng.nextGaussian());
      }
      w[i] = 0.5f + rng.nextFloat() * 2;
    }
    for (String name : new String[] {"sigmoid", "ipo", "hinge"}) {
      DpoLoss loss = DpoLoss.parse(name, 0.2, name.equals("sigmoid") ? 0.05 : 0);
      double num = 0;
      double den = 0;
      for (int i = 0; i < b; i++) {
        num += w[i] * loss.value(lp[0][i], lp[1][i], lp[2][i], lp[3][i]);
        den += w[i];
      }
      try (NDManager m = NDManager.newBaseManager()) {
        DpoLoss.Output out = loss.compute(m.create(lp[0]), m.create(lp[1]), m.create(lp[2]), m.create(lp[3]),
            m.create(w));
        assertThat((double) out.loss().getFloat()).as(name).isCloseTo(num / den, within(1e-4 * Math.max(1, num / den)));
        float[] chosen = out.chosenRewards().toFloatArray();
        assertThat((double) chosen[3]).isCloseTo(0.2 * (lp[0][3] - lp[2][3]), within(1e-4));
      }
    }
  }

  @Test
  void aPairOfWeightTwoCountsAsTwoPairs() {
    DpoLoss loss = DpoLoss.parse("sigmoid", 0.1, 0);
    try (NDManager m = NDManager.newBaseManager()) {
      float[] pc = {-10f, -4f};
      float[] pr = {-12f, -3f};
      float[] rc = {-11f, -5f};
      float[] rr = {-11f, -5f};
      double weighted = loss.compute(m.create(pc), m.create(pr), m.create(rc), m.create(rr), m.create(new float[] {1f, 2f}))
          .loss().getFloat();
      double repeated = loss.compute(m.create(new float[] {-10f, -4f, -4f}), m.create(new float[] {-12f, -3f, -3f}),
          m.create(new float[] {-11f, -5f, -5f}), m.create(new float[] {-11f, -5f, -5f}), m.create(new float[] {1f, 1f, 1f}))
          .loss().getFloat();
      assertThat(weighted).isCloseTo(repeated, within(1e-6));
    }
  }

  @Test
  void unknownNamesAndBadValuesFailWithTheirReason() {
    assertThatThrownBy(() -> DpoLoss.parse("kto", 0.1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContainingAll("'kto'", "sigmoid", "ipo", "hinge");
    assertThatThrownBy(() -> DpoLoss.parse("sigmoid", 0, 0)).hasMessageContaining("beta");
    assertThatThrownBy(() -> DpoLoss.parse("sigmoid", 0.1, 0.5)).hasMessageContaining("label smoothing");
    assertThatThrownBy(() -> DpoLoss.parse("ipo", 0.1, 0.1)).hasMessageContaining("sigmoid");
    assertThat(DpoLoss.parse(" IPO ", 0.1, 0).kind()).isEqualTo(DpoLoss.Kind.IPO);
  }

  private record Pair(double loss, double gradChosen, double gradRejected) {}

  /** Loss of the one pair and its gradient with respect to the policy's two log-probs. */
  private static Pair run(DpoLoss loss) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray pc = m.create(new float[] {(float) PC});
      NDArray pr = m.create(new float[] {(float) PR});
      pc.setRequiresGradient(true);
      pr.setRequiresGradient(true);
      double value;
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        DpoLoss.Output out = loss.compute(pc, pr, m.create(new float[] {(float) RC}), m.create(new float[] {(float) RR}),
            m.create(new float[] {1f}));
        value = out.loss().getFloat();
        gc.backward(out.loss());
      }
      assertThat(value).as("NDArray form equals the scalar form").isCloseTo(loss.value(PC, PR, RC, RR), within(1e-5));
      return new Pair(value, pc.getGradient().getFloat(0), pr.getGradient().getFloat(0));
    }
  }
}

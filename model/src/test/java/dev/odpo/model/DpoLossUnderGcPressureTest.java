package dev.odpo.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The DPO loss's constants (β, 1, 1/(2β), the label-smoothing weights) are arrays that live until backward:
 * with the collector forced to run between forward and backward (a 2 MB young generation, tag "gc-pressure"),
 * the gradients equal the calm ones.
 */
@Tag("gc-pressure")
class DpoLossUnderGcPressureTest {

  private static volatile Object sink;

  @Test
  void gradientsAreTheSameWhenTheCollectorRunsBeforeBackward() {
    for (DpoLoss loss : List.of(DpoLoss.parse("sigmoid", 0.1, 0.1), DpoLoss.parse("ipo", 0.1, 0),
        DpoLoss.parse("hinge", 0.1, 0))) {
      float[] calm = gradient(loss, false);
      float[] churned = gradient(loss, true);
      for (int i = 0; i < calm.length; i++) {
        assertThat((double) churned[i]).as(loss.kind().label()).isCloseTo(calm[i], within(1e-7));
      }
    }
  }

  /** ∂loss/∂π_θ(y_w) for four pairs. */
  private static float[] gradient(DpoLoss loss, boolean churn) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray pc = m.create(new float[] {-10f, -4f, -7f, -3f});
      NDArray pr = m.create(new float[] {-12f, -3f, -7f, -9f});
      pc.setRequiresGradient(true);
      pr.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray l = loss.compute(pc, pr, m.create(new float[] {-11f, -5f, -6f, -4f}),
            m.create(new float[] {-11f, -5f, -8f, -2f}), m.create(new float[] {1f, 2f, 1f, 0.5f})).loss();
        if (churn) {
          for (int i = 0; i < 20; i++) {
            List<byte[]> garbage = new ArrayList<>();
            for (int j = 0; j < 200; j++) {
              garbage.add(new byte[4096]);
            }
            sink = garbage;
            System.gc();
          }
        }
        gc.backward(l);
      }
      return pc.getGradient().toFloatArray();
    }
  }
}

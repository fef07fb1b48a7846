package dev.odpo.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Gradients stay correct while the garbage collector runs between forward and backward.
 *
 * <p>DJL builds scalar operands ({@code x.mul(2f)}) over Java buffers that a collection may free before
 * backward reads them (PLATFORM.md). This test runs in its own surefire execution with a 2 MB young
 * generation (tag "gc-pressure", see model/pom.xml), churns the heap and forces collections between
 * forward and backward, and checks the gradients twice: against gradients computed without churn, and
 * against a finite-difference directional derivative of the loss.
 */
@Tag("gc-pressure")
class GradientUnderGcPressureTest {

  private static volatile Object sink;

  private static Map<String, float[]> gradients(LlamaModel m, boolean churn) {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (NDManager s = m.newStepManager()) {
      TokenBatch batch = batch(s);
      try (GradientCollector gc = m.newGradientCollector()) {
        NDArray loss = loss(m, batch);
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
        gc.backward(loss);
      }
      m.parameters().forEach((k, p) -> {
        try (NDArray g = p.getGradient()) {
          out.put(k, g.toFloatArray());
        }
      });
    }
    m.parameters().values().forEach(p -> ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) p));
    return out;
  }

  private static TokenBatch batch(NDManager s) {
    return TokenBatch.of(s, List.of(new int[] {1, 4, 5}, new int[] {1, 9}),
        List.of(new int[] {7, 8, 9, 10}, new int[] {11, 3}), 0);
  }

  private static NDArray loss(LlamaModel m, TokenBatch batch) {
    SequenceLogProbs lp = SequenceLogProbs.of(m.logits(batch.inputIds(), batch.attentionMask()), batch);
    return lp.summed().div(lp.tokenCounts()).neg().mean();
  }

  private static double lossValue(LlamaModel m) {
    try (NDManager s = m.newStepManager()) {
      return loss(m, batch(s)).getFloat();
    }
  }

  @Test
  void gradientsSurviveCollectionsBetweenForwardAndBackward() {
    try (LlamaModel m = LlamaModelTest.randomized(LlamaModelTest.qwenGqa(), 9)) {
      m.setTrainable(true);
      Map<String, float[]> calm = gradients(m, false);
      for (int repeat = 0; repeat < 3; repeat++) {
        Map<String, float[]> stressed = gradients(m, true);
        calm.forEach((k, g) -> {
          float[] s = stressed.get(k);
          for (int i = 0; i < g.length; i++) {
            assertThat(s[i]).as(k + "[" + i + "]").isFinite().isCloseTo(g[i], within(1e-5f + 1e-4f * Math.abs(g[i])));
          }
        });
      }
      // finite differences along the gradient: (L(w + h·g) − L(w − h·g)) / 2h ≈ ‖g‖²
      double norm2 = calm.values().stream().mapToDouble(g -> {
        double s = 0;
        for (float x : g) {
          s += (double) x * x;
        }
        return s;
      }).sum();
      double h = 1e-2 / Math.sqrt(norm2);
      Map<String, float[]> original = new LinkedHashMap<>();
      m.parameters().forEach((k, p) -> original.put(k, p.toFloatArray()));
      double up = lossAt(m, original, calm, h);
      double down = lossAt(m, original, calm, -h);
      m.parameters().forEach((k, p) -> p.set(original.get(k)));
      assertThat((up - down) / (2 * h)).isCloseTo(norm2, within(0.02 * norm2));
    }
  }

  private static double lossAt(LlamaModel m, Map<String, float[]> w, Map<String, float[]> g, double h) {
    m.parameters().forEach((k, p) -> {
      float[] x = w.get(k).clone();
      float[] d = g.get(k);
      for (int i = 0; i < x.length; i++) {
        x[i] += (float) (h * d[i]);
      }
      p.set(x);
    });
    return lossValue(m);
  }
}

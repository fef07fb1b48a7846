package dev.odpo.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AdamWTest {

  @Test
  void firstStepMatchesTheAdamWFormulaAndZeroesGradients() {
    double lr = 0.01;
    double wd = 0.1;
    try (LlamaModel m = LlamaModel.random(LlamaConfig.tiny(20, 16, 1, 2, 1), Device.cpu(), 1);
         AdamW opt = new AdamW(m, AdamW.Options.of(lr).withWeightDecay(wd).withMaxGradNorm(0));
         NDManager s = m.newStepManager()) {
      // loss = Σ_w Σ c_w ⊙ w, so the gradient of each weight is its constant c_w
      Random rng = new Random(2);
      Map<String, float[]> grads = new LinkedHashMap<>();
      Map<String, float[]> before = new LinkedHashMap<>();
      double norm2 = 0;
      try (GradientCollector gc = m.newGradientCollector()) {
        NDArray loss = null;
        for (Map.Entry<String, NDArray> e : m.parameters().entrySet()) {
          float[] c = new float[(int) e.getValue().size()];
          for (int i = 0; i < c.length; i++) {
            c[i] = (float) rng.nextGaussian();
            norm2 += (double) c[i] * c[i];
          }
          grads.put(e.getKey(), c);
          before.put(e.getKey(), e.getValue().toFloatArray());
          NDArray term = e.getValue().mul(s.create(c, e.getValue().getShape())).sum();
          loss = loss == null ? term : loss.add(term);
        }
        gc.backward(loss);
      }
      double norm = opt.step();
      assertThat(norm).isCloseTo(Math.sqrt(norm2), within(1e-3 * Math.sqrt(norm2)));
      double b1 = 0.9;
      double b2 = 0.999;
      double eps = 1e-8;
      m.parameters().forEach((k, p) -> {
        float[] w = p.toFloatArray();
        float[] g = grads.get(k);
        float[] w0 = before.get(k);
        boolean decays = p.getShape().dimension() > 1;
        for (int i = 0; i < w.length; i++) {
          double mt = (1 - b1) * g[i];
          double vt = (1 - b2) * g[i] * g[i];
          double expect = w0[i] * (decays ? 1 - lr * wd : 1)
              - lr * Math.sqrt(1 - b2) / (1 - b1) * mt / (Math.sqrt(vt) + eps);
          assertThat((double) w[i]).as(k + "[" + i + "]").isCloseTo(expect, within(1e-6));
        }
        try (NDArray grad = p.getGradient()) {
          assertThat(grad.abs().max().getFloat()).as("gradient zeroed after the step").isZero();
        }
      });
      assertThat(opt.steps()).isEqualTo(1);
    }
  }

  @Test
  void twoClippedStepsFollowTheFormulaInWeightsAndMoments() {
    double lr = 0.01;
    double wd = 0.05;
    double maxNorm = 0.5;
    double b1 = 0.9;
    double b2 = 0.999;
    double eps = 1e-8;
    // a 300 × 16 embedding: more elements than the update's 4096-element chunk, and not a multiple of it
    try (LlamaModel m = LlamaModel.random(LlamaConfig.tiny(300, 16, 1, 2, 1), Device.cpu(), 3);
         AdamW opt = new AdamW(m, AdamW.Options.of(lr).withWeightDecay(wd).withMaxGradNorm(maxNorm))) {
      Random rng = new Random(4);
      Map<String, double[]> w = new LinkedHashMap<>();
      Map<String, double[]> mo = new LinkedHashMap<>();
      Map<String, double[]> vo = new LinkedHashMap<>();
      m.parameters().forEach((k, p) -> {
        float[] f = p.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
          d[i] = f[i];
        }
        w.put(k, d);
        mo.put(k, new double[f.length]);
        vo.put(k, new double[f.length]);
      });
      for (int t = 1; t <= 2; t++) {
        // gradients of Σ c ⊙ w are the constants c, drawn anew each step
        Map<String, float[]> grads = new LinkedHashMap<>();
        double norm2 = 0;
        try (NDManager s = m.newStepManager(); GradientCollector gc = m.newGradientCollector()) {
          NDArray loss = null;
          for (Map.Entry<String, NDArray> e : m.parameters().entrySet()) {
            float[] c = new float[(int) e.getValue().size()];
            for (int i = 0; i < c.length; i++) {
              c[i] = (float) rng.nextGaussian();
              norm2 += (double) c[i] * c[i];
            }
            grads.put(e.getKey(), c);
            NDArray term = e.getValue().mul(s.create(c, e.getValue().getShape())).sum();
            loss = loss == null ? term : loss.add(term);
          }
          gc.backward(loss);
        }
        double norm = opt.step();
        assertThat(norm).isCloseTo(Math.sqrt(norm2), within(1e-4 * Math.sqrt(norm2)));
        double clip = maxNorm / Math.sqrt(norm2);
        double rate = lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
        for (Map.Entry<String, NDArray> e : m.parameters().entrySet()) {
          String k = e.getKey();
          boolean decays = e.getValue().getShape().dimension() > 1;
          float[] got = e.getValue().toFloatArray();
          float[] gotM = opt.firstMoments().get(k).toFloatArray();
          float[] gotV = opt.secondMoments().get(k).toFloatArray();
          for (int i = 0; i < got.length; i++) {
            double g = grads.get(k)[i] * clip;
            mo.get(k)[i] = b1 * mo.get(k)[i] + (1 - b1) * g;
            vo.get(k)[i] = b2 * vo.get(k)[i] + (1 - b2) * g * g;
            w.get(k)[i] = w.get(k)[i] * (decays ? 1 - lr * wd : 1)
                - rate * mo.get(k)[i] / (Math.sqrt(vo.get(k)[i]) + eps);
            assertThat((double) gotM[i]).as("m " + k + "[" + i + "] at step " + t).isCloseTo(mo.get(k)[i], within(1e-6));
            assertThat((double) gotV[i]).as("v " + k + "[" + i + "] at step " + t).isCloseTo(vo.get(k)[i], within(1e-7));
            assertThat((double) got[i]).as(k + "[" + i + "] at step " + t).isCloseTo(w.get(k)[i], within(1e-5));
          }
        }
      }
      assertThat(opt.steps()).isEqualTo(2);
    }
  }
}

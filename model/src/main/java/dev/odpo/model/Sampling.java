package dev.odpo.model;

import java.util.Arrays;
import java.util.Random;

/** Host-side sampling arithmetic on one row of logits. */
final class Sampling {

  private Sampling() {}

  /** Numerically stable softmax in double precision; -∞ logits get probability 0. */
  static double[] softmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float f : logits) {
      max = Math.max(max, f);
    }
    double[] p = new double[logits.length];
    double sum = 0;
    for (int i = 0; i < logits.length; i++) {
      p[i] = logits[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(logits[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /** log softmax(logits)[token]. */
  static double logProb(float[] logits, int token) {
    double max = Double.NEGATIVE_INFINITY;
    for (float f : logits) {
      max = Math.max(max, f);
    }
    double sum = 0;
    for (float f : logits) {
      sum += Math.exp(f - max);
    }
    return logits[token] - max - Math.log(sum);
  }

  static int argmax(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
      if (logits[i] > logits[best]) {
        best = i;
      }
    }
    return best;
  }

  /** Indices with probability &gt; 0, most likely first (ties by lower index). */
  static Integer[] descendingNonZero(double[] probs) {
    return java.util.stream.IntStream.range(0, probs.length).filter(i -> probs[i] > 0).boxed()
        .sorted((a, b) -> probs[a] != probs[b] ? Double.compare(probs[b], probs[a]) : Integer.compare(a, b))
        .toArray(Integer[]::new);
  }

  /** Inverse-CDF draw from softmax(logits) with one uniform from {@code rng}. */
  static int sample(float[] logits, Random rng) {
    double[] p = softmax(logits);
    double u = rng.nextDouble();
    double cum = 0;
    int last = -1;
    for (int i = 0; i < p.length; i++) {
      if (p[i] > 0) {
        cum += p[i];
        last = i;
        if (u < cum) {
          return i;
        }
      }
    }
    return last;   // rounding: u landed past the final cumulative sum
  }

  static float[] row(float[] flat, int r, int v) {
    return Arrays.copyOfRange(flat, r * v, (r + 1) * v);
  }
}

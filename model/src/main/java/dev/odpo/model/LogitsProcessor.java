package dev.odpo.model;

import java.util.Arrays;

/**
 * Rewrites one row's next-token logits in place before sampling. Processors compose with
 * {@link #andThen}; the {@link Decoder} applies, in order: the model mix, then the user's processors,
 * then temperature, top-k and top-p from {@link SamplingOptions}. Filtered-out tokens get -∞.
 */
@FunctionalInterface
public interface LogitsProcessor {

  /**
   * @param logits    (V) logits of one row, modified in place
   * @param generated tokens generated so far in this row (prompt excluded)
   */
  void process(float[] logits, int[] generated);

  default LogitsProcessor andThen(LogitsProcessor next) {
    return (l, g) -> {
      process(l, g);
      next.process(l, g);
    };
  }

  /** Divides logits by {@code t} (t &gt; 0). */
  static LogitsProcessor temperature(double t) {
    if (!(t > 0)) {
      throw new IllegalArgumentException("temperature must be > 0, got " + t);
    }
    float inv = (float) (1.0 / t);
    return (l, g) -> {
      for (int i = 0; i < l.length; i++) {
        l[i] *= inv;
      }
    };
  }

  /** Keeps the {@code k} largest logits (ties at the k-th value kept). */
  static LogitsProcessor topK(int k) {
    if (k <= 0) {
      throw new IllegalArgumentException("top-k must be > 0, got " + k);
    }
    return (l, g) -> {
      if (k >= l.length) {
        return;
      }
      float[] copy = l.clone();
      Arrays.sort(copy);
      float kth = copy[copy.length - k];
      for (int i = 0; i < l.length; i++) {
        if (l[i] < kth) {
          l[i] = Float.NEGATIVE_INFINITY;
        }
      }
    };
  }

  /** Nucleus filtering: keeps the smallest set of most likely tokens whose probability reaches {@code p}. */
  static LogitsProcessor topP(double p) {
    if (!(p > 0 && p <= 1)) {
      throw new IllegalArgumentException("top-p must be in (0, 1], got " + p);
    }
    return (l, g) -> {
      if (p >= 1) {
        return;
      }
      double[] probs = Sampling.softmax(l);
      Integer[] order = Sampling.descendingNonZero(probs);
      double cum = 0;
      boolean[] keep = new boolean[l.length];
      for (int idx : order) {
        keep[idx] = true;
        cum += probs[idx];
        if (cum >= p) {
          break;
        }
      }
      for (int i = 0; i < l.length; i++) {
        if (!keep[i]) {
          l[i] = Float.NEGATIVE_INFINITY;
        }
      }
    };
  }

  /** Forbids a token (e.g. EOS before a minimum length). */
  static LogitsProcessor ban(int token) {
    return (l, g) -> l[token] = Float.NEGATIVE_INFINITY;
  }
}

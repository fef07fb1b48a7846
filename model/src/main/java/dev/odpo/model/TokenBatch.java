package dev.odpo.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * A right-padded batch of (prompt, response) token sequences ready for a training forward pass.
 *
 * @param inputIds      (B, T) INT64 prompt ++ response, right-padded with the pad id
 * @param attentionMask (B, T) INT64, 1 for real tokens
 * @param targets       (B, T-1, 1) INT64, the next token at each position (inputIds shifted left)
 * @param lossMask      (B, T-1) FLOAT32, 1 where the target is a response token (prompt and padding are 0)
 * @param lengths       real length of each row (prompt + response)
 * @param promptLengths prompt length of each row
 */
public record TokenBatch(
    NDArray inputIds, NDArray attentionMask, NDArray targets, NDArray lossMask, int[] lengths, int[] promptLengths) {

  /** Number of rows, B. */
  public int size() {
    return lengths.length;
  }

  /**
   * Builds the batch in {@code manager} (use a step manager; it owns the arrays).
   *
   * @param prompts   prompt token ids per row (may be empty when the whole sequence is scored)
   * @param responses response token ids per row (at least one token in total per row)
   * @param padId     id written into padding positions (any valid id; masked out)
   */
  public static TokenBatch of(NDManager manager, List<int[]> prompts, List<int[]> responses, int padId) {
    if (prompts.size() != responses.size() || prompts.isEmpty()) {
      throw new IllegalArgumentException("need as many prompts as responses, and at least one; got "
          + prompts.size() + " and " + responses.size());
    }
    int b = prompts.size();
    int[] lengths = new int[b];
    int[] promptLengths = new int[b];
    int t = 2;
    for (int r = 0; r < b; r++) {
      promptLengths[r] = prompts.get(r).length;
      lengths[r] = promptLengths[r] + responses.get(r).length;
      if (lengths[r] == 0) {
        throw new IllegalArgumentException("row " + r + " is empty");
      }
      t = Math.max(t, lengths[r]);
    }
    long[] ids = new long[b * t];
    long[] mask = new long[b * t];
    long[] targets = new long[b * (t - 1)];
    float[] loss = new float[b * (t - 1)];
    for (int r = 0; r < b; r++) {
      int[] p = prompts.get(r);
      int[] y = responses.get(r);
      for (int i = 0; i < t; i++) {
        int tok = i < p.length ? p[i] : (i < lengths[r] ? y[i - p.length] : padId);
        ids[r * t + i] = tok;
        mask[r * t + i] = i < lengths[r] ? 1 : 0;
      }
      for (int i = 0; i < t - 1; i++) {
        targets[r * (t - 1) + i] = ids[r * t + i + 1];
        // position i predicts token i+1: counted when token i+1 is a response token
        loss[r * (t - 1) + i] = (i + 1 >= p.length && i + 1 < lengths[r]) ? 1f : 0f;
      }
    }
    return new TokenBatch(
        manager.create(ids, new Shape(b, t)),
        manager.create(mask, new Shape(b, t)),
        manager.create(targets, new Shape(b, t - 1, 1)),
        manager.create(loss, new Shape(b, t - 1)),
        lengths, promptLengths);
  }

  /** A batch of whole sequences (no prompt part), e.g. for the reward model or for SFT on full texts. */
  public static TokenBatch ofSequences(NDManager manager, List<int[]> sequences, int padId) {
    return of(manager, sequences.stream().map(s -> new int[0]).toList(), sequences, padId);
  }
}

package dev.odpo.model;

import ai.djl.ndarray.NDArray;

/**
 * Log-probabilities of the response tokens of a batch under a model.
 *
 * <p>log π(y|x) = Σ_t log softmax(z_t)[y_t] over response positions t — the quantity DPO's implicit reward
 * β·(log π(y|x) − log π_ref(y|x)) is built from (Rafailov et al. 2023, eq. 7). Prompt and padding
 * positions contribute exactly 0.
 *
 * @param perToken (B, T-1) log-prob of each next token, 0 where masked (for per-token KL)
 * @param summed   (B) sum over the response tokens of each row
 * @param mask     (B, T-1) the loss mask used (1 = response token)
 */
public record SequenceLogProbs(NDArray perToken, NDArray summed, NDArray mask) {

  /**
   * Gathers next-token log-probs from logits.
   *
   * @param logits (B, T, V) from {@link LlamaModel#logits}
   * @param batch  the batch the logits were computed on
   */
  public static SequenceLogProbs of(NDArray logits, TokenBatch batch) {
    long t = logits.getShape().get(1);
    NDArray shifted = logits.get(":, :-1, :");                                     // (B, T-1, V)
    NDArray logp = shifted.logSoftmax(2);                                          // (B, T-1, V)
    NDArray tokens = logp.gather(batch.targets(), 2).squeeze(2);                   // (B, T-1)
    // the (B, T-1, V) arrays are freed now, not with the step (a recorded graph keeps what backward needs)
    logp.close();
    shifted.close();
    NDArray perToken = tokens.mul(batch.lossMask());                               // (B, T-1)
    if (batch.lossMask().getShape().get(1) != t - 1) {
      throw new IllegalArgumentException("logits length " + t + " does not match the batch");
    }
    return new SequenceLogProbs(perToken, perToken.sum(new int[] {1}), batch.lossMask());
  }

  /** Number of response tokens per row, (B). */
  public NDArray tokenCounts() {
    return mask.sum(new int[] {1});
  }
}

package dev.odpo.model;

/**
 * A preference pair as token ids, ready for the DPO loss: one prompt, the chosen and the rejected response
 * (each as the policy's prompt encoding made them: the response ids end with EOS).
 *
 * @param prompt   prompt ids
 * @param chosen   ids of the preferred response y_w
 * @param rejected ids of the other response y_l
 * @param weight   the pair's weight in the batch loss, &gt; 0
 */
public record EncodedPair(int[] prompt, int[] chosen, int[] rejected, double weight) {
  public EncodedPair {
    if (prompt.length == 0 || chosen.length == 0 || rejected.length == 0) {
      throw new IllegalArgumentException("a pair needs a prompt and two non-empty responses");
    }
    if (!(weight > 0) || !Double.isFinite(weight)) {
      throw new IllegalArgumentException("pair weight must be finite and > 0, got " + weight);
    }
  }

  /** The longer of its two sequences, prompt included. */
  public int maxLength() {
    return prompt.length + Math.max(chosen.length, rejected.length);
  }
}

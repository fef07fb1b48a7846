package dev.odpo.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * Direct preference optimisation of a policy against a reference policy: one {@link #step} per minibatch of
 * pairs runs the reference forward (a frozen model, outside the gradient collector: no graph is recorded),
 * the policy forward and backward through {@link DpoLoss}, and the shared {@link TrainingStep}.
 *
 * <p>Chosen and rejected responses go through each model as one batch of 2B rows (chosen rows first), so a
 * step costs two forwards and one backward. With {@link ReferenceMode#PREVIOUS} the reference takes the
 * policy's weights each time a version is published ({@link #onPublished}); with {@link ReferenceMode#INITIAL}
 * it never changes.
 */
public final class DpoTrainer implements AutoCloseable {

  /**
   * @param loss      the member of the DPO family and its β
   * @param reference which policy π_ref is
   * @param training  optimizer, schedule, accumulation
   */
  public record Options(DpoLoss loss, ReferenceMode reference, TrainingStep.Options training) {}

  /**
   * What one minibatch did, with the metrics DPO trainers report (detached, means over the minibatch).
   *
   * @param status         what the training step did with it
   * @param pairs          pairs in the minibatch
   * @param loss           weighted mean loss
   * @param rewardAccuracy share of pairs whose implicit reward ranks chosen above rejected (ρ &gt; 0)
   * @param chosenReward   mean β·(log π_θ(y_w|x) − log π_ref(y_w|x))
   * @param rejectedReward mean β·(log π_θ(y_l|x) − log π_ref(y_l|x))
   * @param rewardMargin   mean β·ρ
   * @param klEstimate     mean over all 2B responses of log π_θ(y|x) − log π_ref(y|x): a sample estimate of
   *                       KL(π_θ ‖ π_ref) per sequence, exact in expectation when the responses were sampled
   *                       from π_θ (online pairs come from a slightly older version)
   * @param gradientNorm   pre-clip gradient norm of the update; NaN when no update was made
   * @param learningRate   the update's learning rate
   */
  public record StepMetrics(TrainingStep.Status status, int pairs, double loss, double rewardAccuracy,
                            double chosenReward, double rejectedReward, double rewardMargin, double klEstimate,
                            double gradientNorm, double learningRate) {}

  private final LlamaModel policy;
  private final LlamaModel reference;
  private final int padId;
  private final Options options;
  private final TrainingStep training;

  /**
   * @param policy    the model trained (made trainable)
   * @param reference π_ref: another model of the same config, kept frozen
   * @param padId     any valid token id to pad with (masked out)
   */
  public DpoTrainer(LlamaModel policy, LlamaModel reference, int padId, Options options) {
    if (policy == reference) {
      throw new IllegalArgumentException("the reference must be its own model (e.g. policy.copy())");
    }
    if (!policy.config().equals(reference.config())) {
      throw new IllegalArgumentException("policy and reference must share a config");
    }
    this.policy = policy;
    this.reference = reference;
    this.padId = Math.max(0, padId);
    this.options = options;
    reference.setTrainable(false);
    this.training = new TrainingStep(policy, options.training());
  }

  public Options options() {
    return options;
  }

  public LlamaModel policy() {
    return policy;
  }

  public LlamaModel reference() {
    return reference;
  }

  /** The shared step: its optimizer state is what snapshots save. */
  public TrainingStep training() {
    return training;
  }

  /** Trains on one minibatch of pairs (one micro-batch of the shared step). */
  public StepMetrics step(List<EncodedPair> pairs) {
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException("a DPO step needs at least one pair");
    }
    int b = pairs.size();
    try (NDManager work = policy.newStepManager()) {
      TokenBatch batch = batch(work, pairs);                                       // (2B, T)
      float[] w = new float[b];
      for (int i = 0; i < b; i++) {
        w[i] = (float) pairs.get(i).weight();
      }
      NDArray weights = work.create(w);                                            // (B)
      NDArray ref = summedLogProbs(reference, batch);                              // (2B), frozen: no graph
      NDArray[] policyLp = new NDArray[1];
      DpoLoss.Output[] out = new DpoLoss.Output[1];
      TrainingStep.Outcome o = training.run(work, x -> {
        policyLp[0] = summedLogProbs(policy, batch);                               // (2B)
        out[0] = options.loss().compute(policyLp[0].get("0:" + b), policyLp[0].get(b + ":"),
            ref.get("0:" + b), ref.get(b + ":"), weights);
        return out[0].loss();
      });
      float[] chosen = out[0].chosenRewards().toFloatArray();
      float[] rejected = out[0].rejectedRewards().toFloatArray();
      double kl = policyLp[0].stopGradient().sub(ref).mean().getFloat();
      double c = 0;
      double r = 0;
      double right = 0;
      for (int i = 0; i < b; i++) {
        c += chosen[i];
        r += rejected[i];
        right += chosen[i] > rejected[i] ? 1 : 0;
      }
      return new StepMetrics(o.status(), b, o.loss(), right / b, c / b, r / b, (c - r) / b, kl, o.gradientNorm(),
          o.learningRate());
    }
  }

  /** ρ of each pair under the current policy and reference, computed without a graph. */
  public double[] logRatioMargins(List<EncodedPair> pairs) {
    int b = pairs.size();
    try (NDManager work = policy.newStepManager()) {
      TokenBatch batch = batch(work, pairs);
      float[] pol = summedLogProbs(policy, batch).toFloatArray();
      float[] ref = summedLogProbs(reference, batch).toFloatArray();
      double[] rho = new double[b];
      for (int i = 0; i < b; i++) {
        rho[i] = DpoLoss.logRatioMargin(pol[i], pol[b + i], ref[i], ref[b + i]);
      }
      return rho;
    }
  }

  /** To call once the policy's current weights are published: a {@code previous} reference takes them. */
  public void onPublished() {
    if (options.reference() == ReferenceMode.PREVIOUS) {
      reference.copyWeightsFrom(policy);
    }
  }

  /** Chosen rows (prompt ++ y_w) then rejected rows (prompt ++ y_l). */
  private TokenBatch batch(NDManager work, List<EncodedPair> pairs) {
    List<int[]> prompts = new ArrayList<>(2 * pairs.size());
    List<int[]> responses = new ArrayList<>(2 * pairs.size());
    pairs.forEach(p -> {
      prompts.add(p.prompt());
      responses.add(p.chosen());
    });
    pairs.forEach(p -> {
      prompts.add(p.prompt());
      responses.add(p.rejected());
    });
    return TokenBatch.of(work, prompts, responses, padId);
  }

  /** (2B) Σ log π(y|x) over the response tokens of each row. */
  private static NDArray summedLogProbs(LlamaModel model, TokenBatch batch) {
    NDArray logits = model.logits(batch.inputIds(), batch.attentionMask());       // (2B, T, V)
    NDArray summed = SequenceLogProbs.of(logits, batch).summed();
    logits.close();   // freed now, not with the step: a recorded graph keeps what backward needs
    return summed;
  }

  /** Frees the optimizer's state; the two models stay with their owner. */
  @Override
  public void close() {
    training.close();
  }
}

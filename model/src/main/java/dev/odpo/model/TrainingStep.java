package dev.odpo.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;

/**
 * The one training step every trainer runs (SFT, the reward model, DPO): build the loss while the graph is
 * recorded, backward, and every {@code accumulation} micro-batches one AdamW update at the scheduled learning
 * rate with the global gradient norm clipped.
 *
 * <p>A micro-batch whose loss is not finite is skipped before backward (its gradient never reaches the
 * accumulator); an update whose accumulated gradient norm is not finite is skipped and the gradients
 * dropped. Both are counted, and neither advances the schedule: the rate follows the updates actually made.
 * The data order is the caller's, from its own seeded generator.
 */
public final class TrainingStep implements AutoCloseable {

  /**
   * @param optimizer    AdamW settings (its learning rate is replaced by the schedule's) and the clipping norm
   * @param schedule     learning rate by update
   * @param accumulation micro-batches whose gradients are summed (as a mean) into one update, &gt;= 1
   */
  public record Options(AdamW.Options optimizer, LearningRateSchedule schedule, int accumulation) {
    public Options {
      if (accumulation < 1) {
        throw new IllegalArgumentException("gradient accumulation must be >= 1 micro-batch, got " + accumulation);
      }
    }
  }

  /** The loss of one micro-batch, built from arrays in {@code work} while the graph is recorded. */
  @FunctionalInterface
  public interface Objective {
    /** @return () the scalar loss to minimise */
    NDArray loss(NDManager work);
  }

  /** What a micro-batch did. */
  public enum Status {
    /** Its gradient was added; the update waits for more micro-batches. */
    ACCUMULATED,
    /** Its gradient completed an update that was applied. */
    UPDATED,
    /** Its loss was not finite: no backward. */
    SKIPPED_LOSS,
    /** The accumulated gradient norm was not finite: no update, gradients dropped. */
    SKIPPED_GRADIENT;

    public boolean skipped() {
      return this == SKIPPED_LOSS || this == SKIPPED_GRADIENT;
    }
  }

  /**
   * @param loss         the micro-batch's loss (before any accumulation scaling)
   * @param status       what happened to it
   * @param gradientNorm pre-clip global gradient norm of the update; NaN unless UPDATED or SKIPPED_GRADIENT
   * @param learningRate the rate of the update this micro-batch belongs to
   * @param updates      AdamW updates applied so far
   */
  public record Outcome(double loss, Status status, double gradientNorm, double learningRate, long updates) {}

  private final LlamaModel model;
  private final Options options;
  private final AdamW optimizer;
  private int pending;
  private long skipped;

  /** Makes {@code model} trainable and allocates AdamW's moments on it. */
  public TrainingStep(LlamaModel model, Options options) {
    this.model = model;
    this.options = options;
    this.optimizer = new AdamW(model, options.optimizer());
  }

  public Options options() {
    return options;
  }

  /** The optimizer, e.g. to save or restore its state. */
  public AdamW optimizer() {
    return optimizer;
  }

  /** AdamW updates applied so far (restored with the optimizer state). */
  public long updates() {
    return optimizer.steps();
  }

  /** Micro-batches and updates skipped for non-finite losses or gradients. */
  public long skipped() {
    return skipped;
  }

  /** The learning rate the next update will use. */
  public double nextLearningRate() {
    return options.schedule().at(optimizer.steps() + 1);
  }

  /**
   * Runs one micro-batch. {@code work} must be a step manager of the model that the caller closes afterwards
   * (it holds the batch, the graph and the loss's constants until after backward).
   */
  public Outcome run(NDManager work, Objective objective) {
    double lr = nextLearningRate();
    double value;
    try (GradientCollector gc = model.newGradientCollector()) {
      NDArray loss = objective.loss(work);                                        // ()
      value = loss.getFloat();
      if (!Double.isFinite(value)) {
        skipped++;
        return new Outcome(value, Status.SKIPPED_LOSS, Double.NaN, lr, optimizer.steps());
      }
      // a mean over the accumulated micro-batches: the scale is an array that lives in work until after backward
      gc.backward(options.accumulation() == 1 ? loss : loss.div(work.create((float) options.accumulation())));
    }
    if (++pending < options.accumulation()) {
      return new Outcome(value, Status.ACCUMULATED, Double.NaN, lr, optimizer.steps());
    }
    pending = 0;
    optimizer.setLearningRate(lr);
    try {
      double norm = optimizer.step();
      return new Outcome(value, Status.UPDATED, norm, lr, optimizer.steps());
    } catch (ArithmeticException nonFinite) {
      skipped++;   // AdamW has zeroed the gradients
      return new Outcome(value, Status.SKIPPED_GRADIENT, Double.NaN, lr, optimizer.steps());
    }
  }

  /** Micro-batches whose gradients wait for the rest of their update. */
  public int pendingMicroBatches() {
    return pending;
  }

  /**
   * Applies the update now from the micro-batches accumulated so far (the end of an epoch that does not divide
   * by the accumulation); returns null when none are pending.
   */
  public Outcome flush() {
    if (pending == 0) {
      return null;
    }
    pending = 0;
    double lr = nextLearningRate();
    optimizer.setLearningRate(lr);
    try {
      double norm = optimizer.step();
      return new Outcome(Double.NaN, Status.UPDATED, norm, lr, optimizer.steps());
    } catch (ArithmeticException nonFinite) {
      skipped++;
      return new Outcome(Double.NaN, Status.SKIPPED_GRADIENT, Double.NaN, lr, optimizer.steps());
    }
  }

  /** Drops gradients accumulated towards an update not yet made. */
  public void dropPendingGradients() {
    if (pending > 0) {
      optimizer.zeroGradients();
      pending = 0;
    }
  }

  @Override
  public void close() {
    optimizer.close();
  }
}

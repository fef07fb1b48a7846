package dev.odpo.model;

/**
 * Learning rate by optimizer step: a linear warm-up from 0 to the peak, then a cosine decay from the peak to
 * {@code floor}·peak at {@code totalSteps}, and the floor after that.
 *
 * <p>With {@code floor} 1, or {@code totalSteps} 0 (an open-ended run such as the online learner), the rate stays
 * at the peak after the warm-up.
 *
 * @param peak        the rate after warm-up, &gt; 0
 * @param warmupSteps steps of linear warm-up (0 = none)
 * @param totalSteps  the step at which the cosine reaches the floor; 0 = never decay
 * @param floor       the final rate as a fraction of the peak, in (0, 1]: AdamW needs a positive rate
 */
public record LearningRateSchedule(double peak, int warmupSteps, long totalSteps, double floor) {

  public LearningRateSchedule {
    if (!(peak > 0) || !Double.isFinite(peak)) {
      throw new IllegalArgumentException("learning rate must be a finite number > 0, got " + peak);
    }
    if (warmupSteps < 0 || totalSteps < 0) {
      throw new IllegalArgumentException("warm-up and total steps must be >= 0, got " + warmupSteps + ", " + totalSteps);
    }
    if (!(floor > 0 && floor <= 1)) {
      throw new IllegalArgumentException("floor must be a fraction of the peak in (0, 1], got " + floor);
    }
  }

  /** Warm-up, then the peak for good. */
  public static LearningRateSchedule constantAfterWarmup(double peak, int warmupSteps) {
    return new LearningRateSchedule(peak, warmupSteps, 0, 1);
  }

  /** The rate of 1-based optimizer step {@code step}. */
  public double at(long step) {
    if (step <= warmupSteps) {
      return peak * step / Math.max(1, warmupSteps);
    }
    if (totalSteps == 0 || floor == 1) {
      return peak;
    }
    double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    return peak * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1.0, progress))));
  }
}

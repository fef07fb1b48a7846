package dev.odpo.task;

/** Told after each training step; progress bars and logs implement it. */
@FunctionalInterface
public interface StepListener {
    /**
     * @param step  1-based step just finished
     * @param total total steps planned
     * @param loss  the step's training loss
     */
    void onStep(int step, int total, double loss);

    StepListener NONE = (step, total, loss) -> { };
}

package dev.odpo.task;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A terminal progress bar (steps, ETA) showing a running mean of the loss. Close it when done. */
public final class ConsoleProgress implements StepListener, AutoCloseable {
    private final ProgressBar bar;
    private double smoothed = Double.NaN;

    public ConsoleProgress(String task, int total) {
        this.bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).showSpeed().build();
    }

    @Override
    public void onStep(int step, int total, double loss) {
        smoothed = Double.isNaN(smoothed) ? loss : 0.95 * smoothed + 0.05 * loss;
        bar.stepTo(step);
        bar.setExtraMessage(String.format(java.util.Locale.ROOT, "loss %.4f", smoothed));
    }

    @Override
    public void close() {
        bar.close();
    }
}

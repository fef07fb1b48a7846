package dev.odpo.task;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A terminal progress bar (steps, ETA) showing a running mean of the loss (or of another figure the
 * listener reports). Close it when done.
 */
public final class ConsoleProgress implements StepListener, AutoCloseable {
    private final ProgressBar bar;
    private final String metric;
    private final boolean smooth;
    private double smoothed = Double.NaN;

    public ConsoleProgress(String task, int total) {
        this(task, total, "loss", true);
    }

    /**
     * @param metric what the listener's third argument is ("loss", "pairs")
     * @param smooth show a running mean rather than the latest value
     */
    public ConsoleProgress(String task, int total, String metric, boolean smooth) {
        this.metric = metric;
        this.smooth = smooth;
        this.bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).showSpeed().build();
    }

    @Override
    public void onStep(int step, int total, double loss) {
        if (total > 0 && total != bar.getMax()) {
            bar.maxHint(total);
        }
        smoothed = Double.isNaN(smoothed) || !smooth ? loss : 0.95 * smoothed + 0.05 * loss;
        bar.stepTo(step);
        bar.setExtraMessage(smooth ? String.format(java.util.Locale.ROOT, " %s %.4f", metric, smoothed)
                : String.format(java.util.Locale.ROOT, " %s %.0f", metric, smoothed));
    }

    @Override
    public void close() {
        bar.close();
    }
}

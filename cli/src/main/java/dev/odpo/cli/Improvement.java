package dev.odpo.cli;

import ai.djl.Device;
import dev.odpo.evaluator.EvaluationSpec;
import dev.odpo.evaluator.Rollouts;
import dev.odpo.policy.Policy;
import dev.odpo.task.TaskPrompt;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Is a version's gold reward above π0's beyond noise? Both are sampled on the same held-out prompts with the
 * same random numbers, several times; each prompt's gold reward is averaged over those samples, and the
 * per-prompt differences d = gold(vN) − gold(v0) give the mean and its standard error (prompts are the
 * independent units, so samples of one prompt are not counted as separate evidence). We call the
 * improvement real when mean − 2·SE &gt; 0, a one-sided paired test at about the 2.5 % level. Pairing on
 * prompts removes the variance between prompts, which otherwise dwarfs the effect.
 *
 * @param mean         mean of the paired differences
 * @param standardError standard error of that mean
 * @param comparisons  how many paired differences (prompts)
 */
record Improvement(double mean, double standardError, int comparisons) {

    static Improvement of(double[] base, double[] next) {
        int n = base.length;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += next[i] - base[i];
        }
        double mean = sum / n;
        double ss = 0;
        for (int i = 0; i < n; i++) {
            double d = next[i] - base[i] - mean;
            ss += d * d;
        }
        double sd = n > 1 ? Math.sqrt(ss / (n - 1)) : Double.NaN;
        return new Improvement(mean, sd / Math.sqrt(n), n);
    }

    /**
     * Samples both policies on {@code prompts} held-out prompts with each of {@code seeds} seeds at temperature 1
     * and compares them prompt by prompt.
     */
    static Improvement measure(Path baseDir, Path nextDir, int prompts, int seeds, int maxNewTokens) throws IOException {
        double[][] rewards = new double[2][];
        Path[] dirs = {baseDir, nextDir};
        for (int k = 0; k < 2; k++) {
            try (Policy policy = Policy.load(dirs[k], Device.cpu())) {
                double[] mean = new double[prompts];
                for (int s = 0; s < seeds; s++) {
                    EvaluationSpec spec = new EvaluationSpec(prompts, 1000 + s, 1.0, maxNewTokens, 32, 0.1);
                    List<TaskPrompt> set = spec.heldOutPrompts();
                    double[] r = Rollouts.of(policy, set, spec).sampled().rewards();
                    for (int i = 0; i < prompts; i++) {
                        mean[i] += r[i] / seeds;
                    }
                }
                rewards[k] = mean;
            }
        }
        return of(rewards[0], rewards[1]);
    }

    /** mean − 2·SE &gt; 0. */
    boolean beyondNoise() {
        return mean - 2 * standardError > 0;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%+.3f ± %.3f (mean per-prompt difference ± 2 standard errors, %d prompts)",
                mean, 2 * standardError, comparisons);
    }
}

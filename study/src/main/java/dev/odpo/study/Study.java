package dev.odpo.study;

import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

/**
 * The study's matrix: every arm with every seed, arm by arm (so the first arms get all their seeds first),
 * each run independent and appended to the results file as it ends. Runs already in the file are skipped,
 * so a stopped study continues where it stopped.
 */
public final class Study {

    private Study() {
    }

    /** Runs what is missing of {@code arms} × {@code seeds}; returns how many runs it made. */
    public static int run(StudyRun runner, List<StudyArm> arms, List<Long> seeds, StudyResults results,
                          Consumer<String> log) throws IOException {
        int made = 0;
        for (StudyArm arm : arms) {
            for (long seed : seeds) {
                if (results.has(arm.name(), seed)) {
                    log.accept(arm.name() + " seed " + seed + ": already in " + results.file().getFileName());
                    continue;
                }
                log.accept(arm.name() + " seed " + seed + ": " + arm.what());
                RunResult r = runner.run(arm, seed, log);
                results.append(r);
                made++;
                RunResult.Point p = r.last();
                log.accept(String.format(java.util.Locale.ROOT,
                        "%s seed %d done in %.0f s: gold %.3f, accuracy %.3f, KL %.2f, J %.3f, length %.1f, proxy %.2f",
                        arm.name(), seed, r.seconds(), p.goldReward(), p.accuracy(), p.kl(), p.objective(), p.length(),
                        p.proxyReward()));
            }
        }
        return made;
    }
}

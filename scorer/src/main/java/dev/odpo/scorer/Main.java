package dev.odpo.scorer;

import dev.odpo.kafka.ServiceLauncher;
import java.util.Arrays;

/** Starts the scorer: settings from the environment and an optional --config file. */
public final class Main {

    /** Re-scores the whole retained history: the same as scorer.from.beginning=true. */
    static final String FROM_BEGINNING = "--from-beginning";

    static final ServiceLauncher LAUNCHER = new ServiceLauncher("scorer",
            "Consumes samples and publishes one Score per sample: reward = Σ weight·component over a reward model, "
                    + "the task's verifier and a length penalty. " + FROM_BEGINNING + " re-scores every retained "
                    + "sample (the same as scorer.from.beginning=true).",
            ScorerConfig.SETTINGS);

    private Main() {
    }

    /** Runs until stopped; returns the exit code (0, or 2 for bad settings, 3 when Kafka is unreachable). */
    public static int run(String[] args) {
        boolean fromBeginning = Arrays.asList(args).contains(FROM_BEGINNING);
        String[] rest = Arrays.stream(args).filter(a -> !a.equals(FROM_BEGINNING)).toArray(String[]::new);
        return LAUNCHER.launch(rest, values -> {
            ScorerConfig config = ScorerConfig.from(values);
            return Scorer.create(fromBeginning ? config.rewoundToBeginning() : config);
        });
    }

    public static void main(String[] args) {
        int code = run(args);
        if (code != 0) {
            System.exit(code);
        }
    }
}

package dev.odpo.scorer;

import dev.odpo.kafka.ServiceLauncher;

/** Starts the scorer: settings from the environment and an optional --config file. */
public final class Main {

    static final ServiceLauncher LAUNCHER = new ServiceLauncher("scorer",
            "Consumes samples and scores them (reward model, verifiers, length penalty arrive with the scoring issue).",
            ScorerConfig.SETTINGS);

    private Main() {
    }

    /** Runs until stopped; returns the exit code (0, or 2 for bad settings, 3 when Kafka is unreachable). */
    public static int run(String[] args) {
        return LAUNCHER.launch(args, values -> Scorer.create(ScorerConfig.from(values)));
    }

    public static void main(String[] args) {
        int code = run(args);
        if (code != 0) {
            System.exit(code);
        }
    }
}

package dev.odpo.learner;

import dev.odpo.kafka.ServiceLauncher;

/** Starts the learner: settings from the environment and an optional --config file. */
public final class Main {

    static final ServiceLauncher LAUNCHER = new ServiceLauncher("learner",
            "Trains a policy with DPO on the preference pairs topic and publishes its snapshots, exactly once.",
            LearnerConfig.SETTINGS);

    private Main() {
    }

    /** Runs until stopped; returns the exit code (0, or 2 for bad settings, 3 when Kafka is unreachable). */
    public static int run(String[] args) {
        return LAUNCHER.launch(args, values -> Learner.create(LearnerConfig.from(values)));
    }

    public static void main(String[] args) {
        int code = run(args);
        if (code != 0) {
            System.exit(code);
        }
    }
}

package dev.odpo.evaluator;

import dev.odpo.kafka.ServiceLauncher;

/** Starts the evaluator: settings from the environment and an optional --config file. */
public final class Main {

    static final ServiceLauncher LAUNCHER = new ServiceLauncher("evaluator",
            "Evaluates every announced version of a policy on the task's held-out prompts (gold reward and accuracy, "
                    + "KL to the reference, J, win rate against pi0, length, proxy reward), publishes one EvalReport per "
                    + "version on the evaluations topic and keeps an HTML report with plots up to date.",
            EvaluatorConfig.SETTINGS);

    private Main() {
    }

    /** Runs until stopped; returns the exit code (0, or 2 for bad settings, 3 when Kafka is unreachable). */
    public static int run(String[] args) {
        return LAUNCHER.launch(args, values -> Evaluator.create(EvaluatorConfig.from(values)));
    }

    public static void main(String[] args) {
        int code = run(args);
        if (code != 0) {
            System.exit(code);
        }
    }
}

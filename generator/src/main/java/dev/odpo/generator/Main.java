package dev.odpo.generator;

import dev.odpo.kafka.ServiceLauncher;

/** Starts the generator: settings from the environment and an optional --config file. */
public final class Main {

    static final ServiceLauncher LAUNCHER = new ServiceLauncher("generator",
            "Consumes prompts and samples N responses per prompt from the newest announced version of a policy "
                    + "(vanilla or PILAF), each batch's samples and consumed offsets committed in one Kafka transaction.",
            GeneratorConfig.SETTINGS);

    private Main() {
    }

    /**
     * Runs until stopped; returns the exit code: 0, 1 when it stopped on an error, 2 for bad settings, 3 when
     * Kafka is unreachable.
     */
    public static int run(String[] args) {
        return LAUNCHER.launch(args, values -> Generator.create(GeneratorConfig.from(values)));
    }

    public static void main(String[] args) {
        int code = run(args);
        if (code != 0) {
            System.exit(code);
        }
    }
}

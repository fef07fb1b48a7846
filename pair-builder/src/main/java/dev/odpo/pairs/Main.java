package dev.odpo.pairs;

import dev.odpo.kafka.ServiceLauncher;

/** `odpo run pair-builder`: wiring only. Settings come from ODPO_* env vars and/or --config FILE. */
public final class Main {
    static final String SUMMARY = "Turns scored sample groups and human feedback into preference pairs "
            + "(Kafka Streams, exactly-once): reads samples, scores and feedback, writes pairs and dead letters.";

    private Main() {}

    /** Runs until SIGTERM / Ctrl-C; returns the exit code (2 = bad settings, 3 = Kafka unreachable). */
    public static int run(String[] args) {
        return new ServiceLauncher("pair-builder", SUMMARY, PairBuilderSettings.SETTINGS)
                .launch(args, values -> new PairBuilderService(PairBuilderSettings.from(values)));
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }
}

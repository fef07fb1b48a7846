package dev.odpo.learner;

import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.model.DpoTrainer;
import dev.odpo.model.LlamaModel;
import dev.odpo.policy.Snapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * The learner as its own process for crash tests: it reports each update and announcement to a progress file
 * and, at the point named on its command line, stops dead (the test then kills it with SIGKILL):
 * {@code update:N} right after update N, {@code written:V} after snapshot V is written and before it is
 * announced, {@code written:first} after the first snapshot this run writes, {@code none} never.
 *
 * <p>Usage: {@code CrashingLearner <properties file> <point> <progress file>}
 */
public final class CrashingLearner {

    private CrashingLearner() {
    }

    public static void main(String[] args) throws Exception {
        LearnerConfig config = LearnerConfig.from(ConfigValues.load(LearnerConfig.SETTINGS, Map.of(), Path.of(args[0])));
        String point = args[1];
        Path progress = Path.of(args[2]);
        Learner learner = Learner.create(config, new LearnerListener() {
            @Override
            public void updated(long updates, DpoTrainer.StepMetrics metrics) {
                report(progress, "updated " + updates);
                if (point.equals("update:" + updates)) {
                    freeze(progress, "frozen after update " + updates);
                }
            }

            @Override
            public void snapshotWritten(Snapshot snapshot, LlamaModel policy) {
                report(progress, "written v" + snapshot.version());
                if (point.equals("written:" + snapshot.version()) || point.equals("written:first")) {
                    freeze(progress, "frozen after writing v" + snapshot.version());
                }
            }

            @Override
            public void announced(CheckpointAnnouncement a) {
                report(progress, "announced v" + a.getVersion());
            }
        });
        learner.installShutdownHook("learner");
        learner.run();
    }

    private static void report(Path progress, String line) {
        try {
            Files.writeString(progress, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void freeze(Path progress, String line) {
        report(progress, line);
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}

package dev.odpo.cli;

import dev.odpo.kafka.Topic;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.TopicAdmin.TopicState;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Creates and describes odpo's topics. */
@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "Creates odpo's topics (only the missing ones) or describes them.",
        subcommands = {TopicsCommand.Create.class, TopicsCommand.Describe.class})
public final class TopicsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Creates every odpo topic that does not exist yet (idempotent), with its partitions, cleanup policy and retention.")
    static final class Create implements Runnable {
        @Spec
        CommandSpec spec;
        @Mixin
        KafkaOptions kafka;

        @Override
        public void run() {
            KafkaSettings settings = kafka.settings();
            PrintWriter out = spec.commandLine().getOut();
            try (TopicAdmin admin = TopicAdmin.create(settings)) {
                Map<String, TopicAdmin.Outcome> outcome = admin.createMissing(settings.topics().all());
                outcome.forEach((name, o) -> out.printf("%-28s %s%n", name, o == TopicAdmin.Outcome.CREATED ? "created" : "exists"));
            }
        }
    }

    @Command(name = "describe", mixinStandardHelpOptions = true,
            description = "Shows each odpo topic as the broker has it: partitions, replication, cleanup policy, retention, what it carries.")
    static final class Describe implements Runnable {
        @Spec
        CommandSpec spec;
        @Mixin
        KafkaOptions kafka;

        @Override
        public void run() {
            KafkaSettings settings = kafka.settings();
            Topics topics = settings.topics();
            PrintWriter out = spec.commandLine().getOut();
            try (TopicAdmin admin = TopicAdmin.create(settings)) {
                out.printf("%-28s %-10s %-11s %-15s %-12s %s%n", "TOPIC", "PARTITIONS", "REPLICATION", "CLEANUP",
                        "RETENTION", "CARRIES");
                for (TopicState s : admin.describe(topics.all())) {
                    Topic<?, ?> t = topics.find(s.name()).orElseThrow();
                    String value = CARRIES.getOrDefault(t.name().substring(topics.prefix().length()), "");
                    if (!s.exists()) {
                        out.printf("%-28s %-10s %-11s %-15s %-12s %s%n", s.name(), "missing", "-", "-", "-", value);
                        continue;
                    }
                    out.printf("%-28s %-10s %-11d %-15s %-12s %s%s%n", s.name(), s.partitions(), s.replicationFactor(),
                            s.cleanupPolicy(), retention(s.retentionMs()), value,
                            s.partitionsMatch() ? "" : "  (odpo declares " + s.expectedPartitions() + " partitions!)");
                }
            }
        }

        /** What each topic carries, by short name. */
        static final Map<String, String> CARRIES = Map.of(
                "prompts", "Prompt (clients -> generator)",
                "samples", "Sample (generator -> scorer, pair-builder)",
                "scores", "Score (scorer -> pair-builder)",
                "feedback", "HumanFeedback (people, apps -> pair-builder)",
                "pairs", "PreferencePair (pair-builder -> learner)",
                "checkpoints", "CheckpointAnnouncement (learner -> generator, evaluator)",
                "evaluations", "EvalReport (evaluator -> monitors)",
                "learner-metrics", "LearnerMetrics (learner -> monitors)",
                "dead-letters", "DeadLetter (any service)");

        static String retention(String ms) {
            if (ms.isEmpty()) {
                return "";
            }
            long v = Long.parseLong(ms);
            if (v < 0) {
                return "forever";
            }
            return v % 86_400_000L == 0 ? v / 86_400_000L + "d" : v % 3_600_000L == 0 ? v / 3_600_000L + "h" : v + "ms";
        }
    }
}

package dev.odpo.cli;

import dev.odpo.events.HumanFeedback;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.pairs.FeedbackSession;
import dev.odpo.pairs.RecentSamples;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Live human feedback from a terminal: which of two responses is better. */
@Command(name = "feedback", mixinStandardHelpOptions = true,
        description = {"Shows a prompt and two of its recent responses from the samples topic and asks which is "
                + "better: 1, 2, t (tie), s (skip) or q (quit). Each answer is published to the feedback topic as a "
                + "HumanFeedback event; the pair-builder turns it into a HUMAN preference pair (a tie gives none).",
                "Only samples the pair-builder still keeps can become pairs: keep --since within its "
                        + "pair-builder.sample.retention (6h by default)."})
public final class FeedbackCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--annotator", paramLabel = "NAME", description = "Who is judging (default: $USER).")
    String annotator;

    @Option(names = "--since", paramLabel = "DURATION", defaultValue = "6h",
            description = "Show samples written in this recent window, e.g. 30m, 6h, 2d (default: ${DEFAULT-VALUE}).")
    String since;

    @Option(names = "--max-samples", paramLabel = "N", defaultValue = "10000",
            description = "Read at most the newest N samples (default: ${DEFAULT-VALUE}).")
    int maxSamples;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
            description = "Ask about at most N prompts in this session (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--weight", paramLabel = "W", defaultValue = "1.0",
            description = "Weight the learner may give your pairs (default: ${DEFAULT-VALUE}).")
    double weight;

    @Option(names = "--seed", paramLabel = "N", description = "Seed for which responses are shown, and in which order.")
    Long seed;

    /** Where answers are read from; tests replace it. */
    BufferedReader input = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String who = annotator != null ? annotator : System.getenv().getOrDefault("USER", "");
        if (who.isBlank()) {
            err.println("odpo feedback: who is judging? Pass --annotator NAME (or set USER).");
            return 2;
        }
        Duration window;
        try {
            window = parseDuration(since);
        } catch (IllegalArgumentException e) {
            err.println("odpo feedback: --since '" + since + "' is not a duration (e.g. 30m, 6h, 2d or PT6H)");
            return 2;
        }
        if (maxSamples < 2 || limit < 1 || !(weight >= 0) || Double.isInfinite(weight)) {
            err.println("odpo feedback: --max-samples must be at least 2, --limit at least 1, --weight a finite number >= 0");
            return 2;
        }
        KafkaSettings settings = kafka.settings();
        if (settings.createTopics()) {
            try (TopicAdmin admin = TopicAdmin.create(settings)) {
                admin.createMissing(settings.topics().all());
            }
        }
        var samplesTopic = settings.topics().samples();
        RecentSamples.Result recent = RecentSamples.read(settings, samplesTopic, window, maxSamples, Clock.systemUTC(),
                Duration.ofSeconds(30));
        FeedbackSession session = new FeedbackSession(recent.samples(), who, weight,
                seed == null ? new Random() : new Random(seed), Clock.systemUTC());
        out.printf("Read %d samples from %s (last %s)%s: %d prompts with two different responses to judge.%n",
                recent.samples().size(), samplesTopic.name(), since,
                recent.undecodable() == 0 ? "" : ", " + recent.undecodable() + " undecodable skipped", session.promptCount());
        if (session.promptCount() == 0) {
            out.println("Nothing to judge yet: run the generator (odpo run generator) or widen --since.");
            return 0;
        }
        Topic<String, HumanFeedback> topic = settings.topics().feedback();
        FeedbackSession.Summary summary;
        try (KafkaProducer<String, HumanFeedback> producer = new KafkaProducer<>(settings.rawProducer("odpo-feedback"),
                topic.keySerde().serializer(), topic.valueSerde().serializer())) {
            summary = session.run(input, out, fb -> publish(producer, topic, fb), limit);
        }
        out.printf("%nRecorded %d judgement%s as %s on %s (1: %d, 2: %d, tie: %d); skipped %d.%n",
                summary.recorded(), summary.recorded() == 1 ? "" : "s", who, topic.name(),
                summary.preferA(), summary.preferB(), summary.ties(), summary.skipped());
        return 0;
    }

    /** Sends one answer and waits for the broker, so a failure shows at once and nothing is silently lost. */
    private static void publish(KafkaProducer<String, HumanFeedback> producer, Topic<String, HumanFeedback> topic, HumanFeedback fb) {
        try {
            producer.send(new ProducerRecord<>(topic.name(), fb.getPromptId(), fb)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing feedback " + fb.getFeedbackId(), e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not publish feedback to " + topic.name() + ": " + e.getCause().getMessage(), e);
        }
    }

    static Duration parseDuration(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("p")) {
            return Duration.parse(s.toUpperCase(Locale.ROOT));
        }
        int split = 0;
        while (split < s.length() && Character.isDigit(s.charAt(split))) {
            split++;
        }
        if (split == 0) {
            throw new IllegalArgumentException(text);
        }
        long n = Long.parseLong(s.substring(0, split));
        return switch (s.substring(split)) {
            case "s" -> Duration.ofSeconds(n);
            case "m", "min" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> throw new IllegalArgumentException(text);
        };
    }
}

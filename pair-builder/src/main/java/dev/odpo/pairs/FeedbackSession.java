package dev.odpo.pairs;

import dev.odpo.events.FeedbackChoice;
import dev.odpo.events.HumanFeedback;
import dev.odpo.events.Sample;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The interactive part of `odpo feedback`: shows a prompt and two of its responses, asks which is
 * better (1 / 2 / tie / skip, q to quit) and hands each answer on as a HumanFeedback event.
 *
 * <p>Prompts are shown newest first; for each prompt two responses with different texts are drawn at
 * random and shown in random order, so a position preference of the annotator does not become a
 * preference of the data (papers/002 randomises order for the same reason). Input and output are
 * injected, so tests drive it with strings.
 */
public final class FeedbackSession {
    private final List<List<Sample>> prompts;   // each: the samples of one prompt, ≥ 2 distinct responses
    private final String annotator;
    private final double weight;
    private final Random random;
    private final Clock clock;

    /** Counts of one session. */
    public record Summary(int shown, int preferA, int preferB, int ties, int skipped) {
        public int recorded() {
            return preferA + preferB + ties;
        }
    }

    public FeedbackSession(List<Sample> recentSamples, String annotator, double weight, Random random, Clock clock) {
        if (annotator == null || annotator.isBlank()) {
            throw new IllegalArgumentException("annotator must not be empty");
        }
        if (!(weight >= 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("weight must be a finite number >= 0, got " + weight);
        }
        this.prompts = byPromptNewestFirst(recentSamples);
        this.annotator = annotator;
        this.weight = weight;
        this.random = random;
        this.clock = clock;
    }

    /** How many prompts can be judged (those with at least two different responses). */
    public int promptCount() {
        return prompts.size();
    }

    /** Asks about up to {@code limit} prompts; stops early on q or end of input. */
    public Summary run(BufferedReader in, PrintWriter out, Consumer<HumanFeedback> sink, int limit) throws IOException {
        int shown = 0;
        int a = 0;
        int b = 0;
        int ties = 0;
        int skipped = 0;
        for (List<Sample> samples : prompts) {
            if (shown >= limit) {
                break;
            }
            Sample[] pair = drawPair(samples);
            shown++;
            show(out, shown, pair);
            String answer = ask(in, out);
            if (answer == null || answer.equals("q")) {
                shown--;
                break;
            }
            switch (answer) {
                case "1" -> { sink.accept(feedback(pair, FeedbackChoice.A)); a++; }
                case "2" -> { sink.accept(feedback(pair, FeedbackChoice.B)); b++; }
                case "t" -> { sink.accept(feedback(pair, FeedbackChoice.TIE)); ties++; }
                default -> skipped++;
            }
        }
        return new Summary(shown, a, b, ties, skipped);
    }

    private void show(PrintWriter out, int number, Sample[] pair) {
        Sample first = pair[0];
        out.printf("%n── %d of %d · prompt %s · group %s ──%n", number, prompts.size(), first.getPromptId(), first.getGroupId());
        out.println(first.getPromptText());
        for (int i = 0; i < 2; i++) {
            out.printf("%n[%d] (policy v%d, %s)%n%s%n", i + 1, pair[i].getPolicyVersion(),
                    pair[i].getSampler().toString().toLowerCase(Locale.ROOT), pair[i].getResponseText());
        }
    }

    /** Reads until a valid answer: 1, 2, t/tie, s/skip or q/quit; null at end of input. */
    private static String ask(BufferedReader in, PrintWriter out) throws IOException {
        while (true) {
            out.print("\nWhich response is better? 1 / 2 / t(ie) / s(kip) / q(uit): ");
            out.flush();
            String line = in.readLine();
            if (line == null) {
                out.println();
                return null;
            }
            switch (line.trim().toLowerCase(Locale.ROOT)) {
                case "1": return "1";
                case "2": return "2";
                case "t": case "tie": return "t";
                case "s": case "skip": case "": return "s";
                case "q": case "quit": case "exit": return "q";
                default: out.println("Please answer 1, 2, t, s or q.");
            }
        }
    }

    /** Two samples with different responses, in random order. */
    private Sample[] drawPair(List<Sample> samples) {
        while (true) {
            Sample x = samples.get(random.nextInt(samples.size()));
            Sample y = samples.get(random.nextInt(samples.size()));
            if (!x.getResponseText().equals(y.getResponseText())) {
                return new Sample[] {x, y};
            }
        }
    }

    private HumanFeedback feedback(Sample[] pair, FeedbackChoice choice) {
        return HumanFeedback.newBuilder()
                .setFeedbackId(UUID.randomUUID().toString())
                .setPromptId(pair[0].getPromptId())
                .setCreatedAt(clock.instant())
                .setAnnotator(annotator)
                .setSampleAId(pair[0].getSampleId())
                .setSampleBId(pair[1].getSampleId())
                .setChoice(choice)
                .setWeight(weight)
                .build();
    }

    /** Groups samples by prompt (newest prompt first), keeping prompts with two or more different responses. */
    private static List<List<Sample>> byPromptNewestFirst(List<Sample> samples) {
        Map<String, List<Sample>> byPrompt = new LinkedHashMap<>();
        for (Sample s : samples) {
            byPrompt.computeIfAbsent(s.getPromptId(), k -> new ArrayList<>()).add(s);
        }
        List<List<Sample>> out = new ArrayList<>();
        for (List<Sample> list : byPrompt.values()) {
            if (list.stream().map(Sample::getResponseText).distinct().count() >= 2) {
                out.add(list);
            }
        }
        out.sort(Comparator.comparing((List<Sample> list) ->
                list.stream().map(Sample::getCreatedAt).max(Comparator.naturalOrder()).orElseThrow()).reversed());
        return out;
    }
}

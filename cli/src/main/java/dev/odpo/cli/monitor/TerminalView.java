package dev.odpo.cli.monitor;

import dev.odpo.cli.monitor.LoopState.Evaluation;
import dev.odpo.cli.monitor.LoopState.GroupLag;
import dev.odpo.cli.monitor.LoopState.Learner;
import dev.odpo.cli.monitor.LoopState.Stages;
import dev.odpo.cli.monitor.LoopState.TopicActivity;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Renders a {@link LoopState} as text: a full screen for a terminal, or one line for logs and pipes. Pure: the
 * same state gives the same text, so it is tested without Kafka or a terminal.
 */
public final class TerminalView {

    /** Evaluation rows shown on the screen (the newest). */
    static final int SCREEN_VERSIONS = 8;
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT)
            .withZone(ZoneId.systemDefault());

    private TerminalView() {
    }

    /**
     * The screen: stages, topics, consumer groups, learner, evaluations and the newest dead letter, each line cut
     * to {@code width} columns.
     *
     * @param where a short description of the cluster watched (bootstrap servers, prefix)
     */
    public static List<String> screen(LoopState s, String where, int width) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "odpo monitor  %s  policy %s  %s", where,
                s.policy() == null ? "(all)" : s.policy(), CLOCK.format(Instant.ofEpochMilli(s.atMillis()))));
        lines.add("");
        lines.add("policy version seen   " + stages(s.stages()));
        lines.add("");
        lines.add(String.format(Locale.ROOT, "%-18s %10s %10s %12s", "topic", "events", "per s", "end offset"));
        for (TopicActivity t : s.topics()) {
            lines.add(String.format(Locale.ROOT, "%-18s %,10d %10.2f %,12d", t.topic(), t.events(), t.perSecond(),
                    t.endOffset()));
        }
        lines.add("");
        lines.add(String.format(Locale.ROOT, "%-34s %-24s %10s", "consumer group", "reads", "lag"));
        if (s.groups().isEmpty()) {
            lines.add("(no consumer group has committed offsets on these topics yet)");
        }
        for (GroupLag g : s.groups()) {
            lines.add(String.format(Locale.ROOT, "%-34s %-24s %,10d", g.group(), String.join(",", g.topics()), g.lag()));
        }
        lines.add("");
        lines.add("learner    " + (s.learner() == null ? "(no metrics yet)" : learner(s.learner())));
        lines.add("");
        List<Evaluation> evals = s.evaluations();
        if (evals.isEmpty()) {
            lines.add("(no evaluation yet)");
        } else {
            lines.addAll(evaluationTable(evals.subList(Math.max(0, evals.size() - SCREEN_VERSIONS), evals.size())));
        }
        if (s.deadLetter() != null) {
            lines.add("");
            lines.add(String.format(Locale.ROOT, "newest dead letter  %s  %s refused a record of %s: %s",
                    CLOCK.format(Instant.ofEpochMilli(s.deadLetter().atMillis())), s.deadLetter().service(),
                    s.deadLetter().sourceTopic(), s.deadLetter().reason()));
        }
        return lines.stream().map(l -> l.length() > width ? l.substring(0, Math.max(0, width - 1)) + "…" : l).toList();
    }

    /**
     * The evaluation table: a header and one row per version (pairs trained, gold reward and accuracy at the
     * sampling temperature, greedy accuracy, KL to the reference, J, mean length, proxy reward, win rate vs π0).
     */
    public static List<String> evaluationTable(List<Evaluation> evals) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%-8s %8s %8s %7s %7s %7s %8s %7s %7s %7s", "version", "pairs", "gold", "acc",
                "greedy", "KL", "J", "length", "proxy", "win"));
        for (Evaluation e : evals) {
            lines.add(String.format(Locale.ROOT, "%-8s %8s %8.3f %7s %7s %7.3f %8.3f %7s %7s %7s", "v" + e.version(),
                    e.pairsTrained() == null ? "-" : String.format(Locale.ROOT, "%,d", e.pairsTrained()), e.goldReward(),
                    num(e.accuracy(), "%.3f"), num(e.greedyAccuracy(), "%.3f"), e.kl(), e.objective(),
                    num(e.meanResponseTokens(), "%.1f"), num(e.proxyReward(), "%.3f"), num(e.winRate(), "%.2f")));
        }
        return lines;
    }

    /** One line for a log or a pipe: versions, the two main rates, total lag, learner and newest evaluation. */
    public static String line(LoopState s) {
        StringBuilder b = new StringBuilder(CLOCK.format(Instant.ofEpochMilli(s.atMillis())));
        b.append("  versions ").append(stages(s.stages()));
        for (TopicActivity t : s.topics()) {
            if (t.topic().equals("samples") || t.topic().equals("pairs")) {
                b.append(String.format(Locale.ROOT, " | %s %.2f/s", t.topic(), t.perSecond()));
            }
        }
        b.append(String.format(Locale.ROOT, " | lag %,d", s.groups().stream().mapToLong(GroupLag::lag).sum()));
        Learner l = s.learner();
        if (l != null) {
            b.append(String.format(Locale.ROOT, " | learner step %d loss %.3f acc %.2f staleness %.1f/%d", l.step(),
                    l.loss(), l.rewardAccuracy(), l.stalenessMean(), l.stalenessMax()));
        }
        if (!s.evaluations().isEmpty()) {
            Evaluation e = s.evaluations().get(s.evaluations().size() - 1);
            b.append(String.format(Locale.ROOT, " | eval v%d gold %.3f KL %.3f len %s", e.version(), e.goldReward(),
                    e.kl(), num(e.meanResponseTokens(), "%.1f")));
            Evaluation first = s.evaluations().get(0);
            if (first != e) {
                b.append(String.format(Locale.ROOT, " (v%d gold %.3f len %s)", first.version(), first.goldReward(),
                        num(first.meanResponseTokens(), "%.1f")));
            }
        }
        return b.toString();
    }

    private static String stages(Stages st) {
        return String.format(Locale.ROOT, "generator %s  scorer %s  pairs %s  learner %s  evaluator %s",
                version(st.generator()), version(st.scorer()), version(st.pairs()), version(st.learner()),
                version(st.evaluator()));
    }

    private static String learner(Learner l) {
        return String.format(Locale.ROOT, "%s v%d step %d  %s β=%.2f  loss %.3f  reward acc %.2f  margin %.3f  "
                        + "staleness mean %.2f max %d  lr %.1e  pairs/s %s  KL≈%s", l.policy(), l.version(), l.step(),
                l.lossType(), l.beta(), l.loss(), l.rewardAccuracy(), l.rewardMargin(), l.stalenessMean(),
                l.stalenessMax(), l.learningRate(), num(l.pairsPerSecond(), "%.1f"), num(l.klToReference(), "%.3f"));
    }

    private static String version(Long v) {
        return v == null ? "-" : "v" + v;
    }

    private static String num(Double d, String format) {
        return d == null || d.isNaN() ? "-" : String.format(Locale.ROOT, format, d);
    }
}

package dev.odpo.study;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

/**
 * The study's report from its runs: {@code study.md} with one row per arm — mean and 95 % t-interval over seeds
 * of gold reward, accuracy, KL to π0, J, length and proxy reward — the differences to the baseline arm paired by
 * seed, the arms still missing seeds, and two reward–KL plots ({@link #POINTS_SVG}, {@link #TRAJECTORIES_SVG}).
 */
public final class StudyReport {

    public static final String MARKDOWN = "study.md";
    public static final String POINTS_SVG = "reward-kl.svg";
    public static final String TRAJECTORIES_SVG = "reward-kl-trajectories.svg";
    public static final String PAIRED_SVG = "reward-kl-vs-online.svg";
    /** The arm the others are compared with, seed by seed. */
    public static final String BASELINE = "online";

    /** One figure of a run's result, as the table shows it. */
    private record Column(String header, int digits, ToDoubleFunction<RunResult.Point> value) {}

    private static final List<Column> COLUMNS = List.of(
            new Column("gold reward", 3, RunResult.Point::goldReward),
            new Column("accuracy", 3, RunResult.Point::accuracy),
            new Column("greedy accuracy", 3, RunResult.Point::greedyAccuracy),
            new Column("KL to π0", 2, RunResult.Point::kl),
            new Column("J = gold − β·KL", 3, RunResult.Point::objective),
            new Column("length (tokens)", 1, RunResult.Point::length),
            new Column("proxy reward", 2, RunResult.Point::proxyReward));

    private StudyReport() {
    }

    /**
     * Writes study.md and the SVG plots into {@code dir}; returns study.md.
     *
     * @param order the arms in the order of the table (arms not in it follow, in order of appearance)
     * @param beta  β of J
     */
    public static Path write(Path dir, List<RunResult> runs, List<String> order, double beta) throws IOException {
        Files.createDirectories(dir);
        Map<String, List<RunResult>> byArm = byArm(runs, order);
        List<String> arms = new ArrayList<>(byArm.keySet());
        Files.writeString(dir.resolve(POINTS_SVG), RewardKlPlot.arms("Gold reward vs KL to π0 at the end of each run "
                + "(mean, 95 % CI over seeds)", armPoints(byArm), arms), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(TRAJECTORIES_SVG), RewardKlPlot.trajectories("Each run's path from π0 over "
                + "the pairs it trained on", trajectories(runs, byArm), arms), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(PAIRED_SVG), RewardKlPlot.arms("Each arm minus " + BASELINE + " on the same seed "
                + "(mean, 95 % CI)", "Δ KL to π0 (arm − " + BASELINE + ")", "Δ gold reward (arm − " + BASELINE + ")",
                pairedPoints(byArm), arms), StandardCharsets.UTF_8);
        Path md = dir.resolve(MARKDOWN);
        Files.writeString(md, markdown(byArm, beta), StandardCharsets.UTF_8);
        return md;
    }

    /** The runs grouped by arm, arms in {@code order} first; a run recorded twice counts once (the first). */
    static Map<String, List<RunResult>> byArm(List<RunResult> runs, List<String> order) {
        Map<String, List<RunResult>> out = new LinkedHashMap<>();
        for (String a : order) {
            if (runs.stream().anyMatch(r -> r.arm().equals(a))) {
                out.put(a, new ArrayList<>());
            }
        }
        for (RunResult r : runs) {
            List<RunResult> list = out.computeIfAbsent(r.arm(), k -> new ArrayList<>());
            if (list.stream().noneMatch(x -> x.seed() == r.seed())) {
                list.add(r);
            }
        }
        return out;
    }

    /** The table, the paired differences and what is missing, as Markdown. */
    static String markdown(Map<String, List<RunResult>> byArm, double beta) {
        StringBuilder s = new StringBuilder();
        TreeSet<Long> seeds = new TreeSet<>();
        TreeSet<Integer> pairs = new TreeSet<>();
        byArm.values().forEach(l -> l.forEach(r -> {
            seeds.add(r.seed());
            if (r.pairs() > 0) {
                pairs.add(r.pairs());
            }
        }));
        s.append(String.format(Locale.ROOT, "Labeled pairs per run: %s. Seeds: %s. Mean ± half-width of the 95 %% "
                + "confidence interval (Student's t, n − 1 degrees of freedom, n = seeds run); J uses β = %s for every "
                + "arm. Sampled figures at temperature 1 on the held-out prompts.%n%n", pairs, seeds, beta));
        s.append("| arm | n |");
        COLUMNS.forEach(c -> s.append(' ').append(c.header()).append(" |"));
        s.append("\n|---|---|");
        COLUMNS.forEach(c -> s.append("---|"));
        s.append('\n');
        for (Map.Entry<String, List<RunResult>> e : byArm.entrySet()) {
            s.append("| ").append(e.getKey()).append(" | ").append(e.getValue().size()).append(" |");
            for (Column c : COLUMNS) {
                s.append(' ').append(interval(e.getValue(), c.value()).format(c.digits())).append(" |");
            }
            s.append('\n');
        }
        List<RunResult> base = byArm.getOrDefault(BASELINE, List.of());
        if (!base.isEmpty()) {
            s.append(String.format(Locale.ROOT, "%nDifference to `%s`, paired by seed (arm − %s on the same seed; mean "
                    + "and 95 %% CI of the differences; **bold**: the interval excludes 0):%n%n", BASELINE, BASELINE));
            s.append("| arm | pairs of runs | Δ gold reward | Δ accuracy | Δ KL to π0 | Δ J | Δ length | Δ proxy |\n");
            s.append("|---|---|---|---|---|---|---|---|\n");
            for (Map.Entry<String, List<RunResult>> e : byArm.entrySet()) {
                if (e.getKey().equals(BASELINE)) {
                    continue;
                }
                List<double[]> diffs = new ArrayList<>();
                for (RunResult r : e.getValue()) {
                    Optional<RunResult> b = base.stream().filter(x -> x.seed() == r.seed()).findFirst();
                    b.ifPresent(x -> diffs.add(difference(r.last(), x.last())));
                }
                s.append("| ").append(e.getKey()).append(" | ").append(diffs.size()).append(" |");
                int[] digits = {3, 3, 2, 3, 1, 2};
                for (int i = 0; i < digits.length; i++) {
                    int k = i;
                    Interval d = Interval.of(diffs.stream().mapToDouble(x -> x[k]).toArray());
                    boolean clear = d.n() >= 2 && (d.low() > 0 || d.high() < 0);
                    String text = d.format(digits[i]);
                    s.append(' ').append(clear ? "**" + text + "**" : text).append(" |");
                }
                s.append('\n');
            }
        }
        List<String> short_ = new ArrayList<>();
        for (Map.Entry<String, List<RunResult>> e : byArm.entrySet()) {
            TreeSet<Long> have = new TreeSet<>();
            e.getValue().forEach(r -> have.add(r.seed()));
            TreeSet<Long> missing = new TreeSet<>(seeds);
            missing.removeAll(have);
            if (!missing.isEmpty()) {
                short_.add(e.getKey() + " (seeds " + missing + ")");
            }
        }
        if (!short_.isEmpty()) {
            s.append("\nArms missing seeds: ").append(String.join(", ", short_)).append(".\n");
        }
        s.append("\n![Gold reward against KL to π0, one point per arm](").append(POINTS_SVG).append(")\n\n");
        s.append("![Differences to ").append(BASELINE).append(", paired by seed](").append(PAIRED_SVG).append(")\n\n");
        s.append("![Each run's path in gold reward and KL to π0](").append(TRAJECTORIES_SVG).append(")\n");
        return s.toString();
    }

    /** arm − baseline: gold, accuracy, KL, J, length, proxy. */
    private static double[] difference(RunResult.Point a, RunResult.Point b) {
        return new double[] {a.goldReward() - b.goldReward(), a.accuracy() - b.accuracy(), a.kl() - b.kl(),
            a.objective() - b.objective(), a.length() - b.length(), a.proxyReward() - b.proxyReward()};
    }

    static Interval interval(List<RunResult> runs, ToDoubleFunction<RunResult.Point> f) {
        return Interval.of(runs.stream().mapToDouble(r -> f.applyAsDouble(r.last())).toArray());
    }

    /** Per arm: the differences to the baseline on the seeds both ran, as intervals (KL, gold). */
    private static List<RewardKlPlot.ArmPoint> pairedPoints(Map<String, List<RunResult>> byArm) {
        List<RunResult> base = byArm.getOrDefault(BASELINE, List.of());
        List<RewardKlPlot.ArmPoint> out = new ArrayList<>();
        byArm.forEach((arm, runs) -> {
            List<double[]> d = new ArrayList<>();
            for (RunResult r : runs) {
                base.stream().filter(b -> b.seed() == r.seed()).findFirst()
                        .ifPresent(b -> d.add(difference(r.last(), b.last())));
            }
            if (!arm.equals(BASELINE) && !d.isEmpty()) {
                out.add(new RewardKlPlot.ArmPoint(arm, Interval.of(d.stream().mapToDouble(x -> x[2]).toArray()),
                        Interval.of(d.stream().mapToDouble(x -> x[0]).toArray())));
            }
        });
        return out;
    }

    private static List<RewardKlPlot.ArmPoint> armPoints(Map<String, List<RunResult>> byArm) {
        List<RewardKlPlot.ArmPoint> out = new ArrayList<>();
        byArm.forEach((arm, runs) -> out.add(new RewardKlPlot.ArmPoint(arm, interval(runs, RunResult.Point::kl),
                interval(runs, RunResult.Point::goldReward))));
        return out;
    }

    /** Each training run's path, starting from π0's figures on the same seed when π0 was measured. */
    private static List<RewardKlPlot.Trajectory> trajectories(List<RunResult> runs, Map<String, List<RunResult>> byArm) {
        List<RunResult> pi0 = byArm.getOrDefault(StudyArm.PI0, List.of());
        List<RewardKlPlot.Trajectory> out = new ArrayList<>();
        byArm.forEach((arm, list) -> {
            if (arm.equals(StudyArm.PI0)) {
                return;
            }
            for (RunResult r : list) {
                List<double[]> pts = new ArrayList<>();
                pi0.stream().filter(p -> p.seed() == r.seed()).findFirst()
                        .ifPresent(p -> pts.add(new double[] {p.last().kl(), p.last().goldReward()}));
                r.trajectory().forEach(p -> pts.add(new double[] {p.kl(), p.goldReward()}));
                out.add(new RewardKlPlot.Trajectory(arm, r.seed(), pts));
            }
        });
        return out;
    }
}

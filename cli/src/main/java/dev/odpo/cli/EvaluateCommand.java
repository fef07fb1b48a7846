package dev.odpo.cli;

import ai.djl.Device;
import dev.odpo.evaluator.EvalFigures;
import dev.odpo.evaluator.EvaluationSpec;
import dev.odpo.evaluator.EvaluatorConfig;
import dev.odpo.evaluator.HeldOutEvaluation;
import dev.odpo.evaluator.Rollouts;
import dev.odpo.events.EvalReport;
import dev.odpo.kafka.config.Setting;
import dev.odpo.policy.Devices;
import dev.odpo.policy.Policy;
import dev.odpo.policy.ScoringModel;
import dev.odpo.policy.SnapshotManifest;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The evaluator's measurement for any model directory, without Kafka. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, defaultValueProvider = EvaluateCommand.SettingDefaults.class,
        description = {"Measures a policy directory on the built-in task's held-out prompts exactly as the evaluator "
                + "service measures each announced version: gold reward and accuracy (sampled and greedy), "
                + "KL(pi || pi_ref) from its own samples, J = gold reward - beta * KL, win rate against the reference "
                + "on the same prompts with the same seeds (ties count half), mean response length, and the proxy "
                + "reward with --reward-model.",
                "Without --reference the model is its own reference (KL 0, win rate 0.5). The defaults are the "
                        + "evaluator's settings: the figures of version 0, or of a version trained against pi0 "
                        + "evaluated with --reference pi0, equal its report on the evaluations topic.",
                "Example: odpo evaluate --model data/checkpoints/policy/v00000003 --reference data/checkpoints/policy/v00000000"})
public final class EvaluateCommand implements Callable<Integer> {

    /** Each option that sets part of the measurement, and the evaluator setting whose default it takes. */
    static final Map<String, Setting<?>> OPTION_SETTINGS = Map.of(
            "--prompts", EvaluatorConfig.PROMPTS,
            "--seed", EvaluatorConfig.SEED,
            "--temperature", EvaluatorConfig.TEMPERATURE,
            "--max-new-tokens", EvaluatorConfig.MAX_NEW_TOKENS,
            "--batch-size", EvaluatorConfig.BATCH_SIZE,
            "--beta", EvaluatorConfig.BETA,
            "--device", EvaluatorConfig.DEVICE);

    /** Options default to the evaluator's settings' defaults, declared once in {@link EvaluatorConfig}. */
    public static final class SettingDefaults implements CommandLine.IDefaultValueProvider {
        @Override
        public String defaultValue(ArgSpec arg) {
            Setting<?> s = arg instanceof OptionSpec o ? OPTION_SETTINGS.get(o.longestName()) : null;
            return s == null ? null : s.defaultValue();
        }
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "The policy: a Hugging Face model directory (a snapshot, pi0, a model trained elsewhere).")
    Path model;

    @Option(names = "--reference", paramLabel = "DIR",
            description = "pi_ref of the KL and baseline of the win rate, e.g. pi0 (default: the model itself).")
    Path reference;

    @Option(names = "--prompts", paramLabel = "N", description = "Held-out prompts (default: ${DEFAULT-VALUE}).")
    int prompts;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the sampled responses (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--temperature", paramLabel = "T", description = "Temperature of the sampled responses (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Longest response (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--batch-size", paramLabel = "N",
            description = "Prompts decoded together; part of the measurement (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--beta", paramLabel = "B", description = "beta of J = gold reward - beta * KL (default: ${DEFAULT-VALUE}).")
    double beta;

    @Option(names = "--reward-model", paramLabel = "DIR",
            description = "A proxy reward model (*ForSequenceClassification) to score the sampled responses with.")
    Path rewardModel;

    @Option(names = "--device", paramLabel = "cpu|gpu", description = "Where the models run (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--json", description = "Print the EvalReport as one line of JSON, as 'odpo tail evaluations' shows it.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        EvaluationSpec evalSpec;
        Device dev;
        try {
            evalSpec = new EvaluationSpec(prompts, seed, temperature, maxNewTokens, batchSize, beta);
            dev = Devices.parse(device);
        } catch (IllegalArgumentException e) {
            err.println("odpo evaluate: " + e.getMessage());
            return 2;
        }
        long t0 = System.nanoTime();
        try (ScoringModel proxy = rewardModel == null ? null : ScoringModel.load(rewardModel, dev);
             Policy policy = Policy.load(model, dev);
             Policy ref = reference == null ? null : Policy.load(reference, dev)) {
            HeldOutEvaluation evaluation = new HeldOutEvaluation(evalSpec, proxy);
            err.printf("evaluating %s on %d held-out prompts (%s)%n", model, evalSpec.prompts(), evalSpec.label());
            Rollouts own = evaluation.rollouts(policy);
            Rollouts baseline = ref == null ? own : evaluation.rollouts(ref);
            EvalFigures figures = evaluation.measure(policy, own, ref == null ? policy : ref, baseline);
            double seconds = (System.nanoTime() - t0) / 1e9;
            EvalReport report = figures.toReport(subject(err), evalSpec, Instant.now(), seconds);
            if (json) {
                out.println(EventJson.MAPPER.writeValueAsString(EventJson.toJson(report)));
            } else {
                print(out, figures, report, seconds);
            }
            out.flush();
        }
        return 0;
    }

    /** The snapshot's policy, version and training progress when the directory is a verified snapshot. */
    private EvalFigures.Subject subject(PrintWriter err) throws IOException {
        SnapshotManifest m = snapshot(model, err);
        Long referenceVersion;
        if (reference == null) {
            referenceVersion = m == null ? null : m.version();
        } else {
            SnapshotManifest r = snapshot(reference, err);
            referenceVersion = r == null ? null : r.version();
        }
        return m != null ? EvalFigures.Subject.of(m, referenceVersion)
                : new EvalFigures.Subject(name(model), Policy.UNPUBLISHED, referenceVersion, null, null);
    }

    /** The manifest of a snapshot directory whose files all match it; null for any other directory. */
    private static SnapshotManifest snapshot(Path dir, PrintWriter err) throws IOException {
        if (!Files.isRegularFile(dir.resolve(SnapshotManifest.FILE_NAME))) {
            return null;
        }
        SnapshotManifest m = SnapshotManifest.read(dir);
        List<String> problems = m.problems(dir);
        if (!problems.isEmpty()) {
            err.println("note: " + dir + " differs from its " + SnapshotManifest.FILE_NAME + " (" + String.join("; ", problems)
                    + "); reported as an unpublished model");
            return null;
        }
        return m;
    }

    private static String name(Path dir) {
        Path name = dir.toAbsolutePath().normalize().getFileName();
        return name == null ? "model" : name.toString();
    }

    private void print(PrintWriter out, EvalFigures f, EvalReport r, double seconds) {
        String against = reference == null ? "itself" : reference.toString();
        out.printf(Locale.ROOT, "%s%s on %d held-out prompts, reference %s%n", model,
                r.getPolicyVersion() >= 0 ? " (" + r.getPolicyName() + " v" + r.getPolicyVersion() + ")" : "",
                f.prompts(), against);
        out.printf(Locale.ROOT, "  %-26s %10s %10s%n", "", "sampled", "greedy");
        out.printf(Locale.ROOT, "  %-26s %10.3f %10.3f%n", "gold reward", f.goldReward(), f.greedyGoldReward());
        out.printf(Locale.ROOT, "  %-26s %10.3f %10.3f%n", "gold accuracy", f.accuracy(), f.greedyAccuracy());
        out.printf(Locale.ROOT, "  %-26s %10.3f %10.3f%n", "win rate vs reference", f.winRate(), f.greedyWinRate());
        out.printf(Locale.ROOT, "  %-26s %10.3f%n", "KL(pi || pi_ref), nats", f.kl());
        out.printf(Locale.ROOT, "  %-26s %10.3f   (beta %s)%n", "J = gold - beta * KL", f.objective(), f.beta());
        out.printf(Locale.ROOT, "  %-26s %10.1f%n", "mean response tokens", f.meanResponseTokens());
        out.printf(Locale.ROOT, "  %-26s %10s%n", "proxy reward",
                f.proxyReward() == null ? "-" : String.format(Locale.ROOT, "%.3f", f.proxyReward()));
        out.printf(Locale.ROOT, "  %-26s %10.3f%n", "refusals", f.refusalRate());
        out.printf(Locale.ROOT, "  %-26s %10.3f%n", "malformed", f.malformedRate());
        out.printf(Locale.ROOT, "  %-26s %10.3f%n", "distinct responses", f.distinct());
        out.printf(Locale.ROOT, "evaluated in %.1f s (%s)%n", seconds, r.getEvalSet());
    }
}

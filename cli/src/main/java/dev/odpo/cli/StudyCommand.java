package dev.odpo.cli;

import dev.odpo.study.Study;
import dev.odpo.study.StudyArm;
import dev.odpo.study.StudyReport;
import dev.odpo.study.StudyResults;
import dev.odpo.study.StudyRun;
import dev.odpo.task.TaskRewardModel;
import dev.odpo.task.WarmStart;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The learning study: the loop's choices compared at equal labeled pairs over seeds, with 95 % intervals. */
@Command(name = "study", mixinStandardHelpOptions = true,
        description = {"Compares the learning loop's choices on the built-in task at an equal number of labeled pairs: "
                + "online vs offline vs iterative DPO, best-vs-worst vs random pairs vs PILAF sampling, pi0 vs the "
                + "previous version as reference, DPO vs IPO vs hinge, beta, the length penalty, the proxy reward "
                + "model vs the verifier as scorer, and simulated human feedback. Each (arm, seed) run trains a copy "
                + "of pi0 in this process (no Kafka) and is measured on held-out prompts as the evaluator measures: "
                + "gold reward and accuracy, KL to pi0, J = gold - beta*KL, length and proxy reward.",
                "Each run appends one line to DIR/results.jsonl; runs already there are skipped, so a stopped study "
                        + "continues. After the runs (or with --report-only) DIR/study.md gets the table (mean and 95 %% "
                        + "t-interval over seeds) and DIR/*.svg the reward-KL plots.",
                "Example: odpo study --arms online,offline,iterative --seeds 1,2,3 --out study-results"})
public final class StudyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--data-dir", defaultValue = "data", paramLabel = "DIR",
            description = "The demo's data directory: pi0 and the proxy reward model are its cached ones (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--pi0", paramLabel = "DIR", description = "pi0's model directory (default: the demo's cached pi0).")
    Path pi0;

    @Option(names = "--reward-model", paramLabel = "DIR",
            description = "The proxy reward model's directory (default: the demo's cached one next to pi0).")
    Path rewardModel;

    @Option(names = "--arms", split = ",", paramLabel = "LIST",
            description = "Arms to run, in order (default: all). One of: pi0, ${COMPLETION-CANDIDATES}.",
            completionCandidates = ArmNames.class)
    List<String> arms;

    @Option(names = "--seeds", split = ",", defaultValue = "1,2,3", paramLabel = "LIST",
            description = "Seeds of each arm (default: ${DEFAULT-VALUE}).")
    List<Long> seeds;

    @Option(names = "--pairs", defaultValue = "256", paramLabel = "N",
            description = "Labeled pairs per run, the same for every arm (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--eval-points", defaultValue = "4", paramLabel = "K",
            description = "Evaluations per run, after each K-th of the pairs; the last is the result (default: ${DEFAULT-VALUE}).")
    int evalPoints;

    @Option(names = "--eval-prompts", defaultValue = "128", paramLabel = "N",
            description = "Held-out prompts per evaluation (default: ${DEFAULT-VALUE}).")
    int evalPrompts;

    @Option(names = "--beta", defaultValue = "0.1", description = "beta of J = gold - beta*KL, for every arm (default: ${DEFAULT-VALUE}).")
    double beta;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where results.jsonl, study.md and the plots go.")
    Path out;

    @Option(names = "--report-only", description = "Only write the report from the runs already in DIR/results.jsonl.")
    boolean reportOnly;

    /** The arm names, for --help. */
    static final class ArmNames extends ArrayList<String> {
        ArmNames() {
            super(StudyArm.all().keySet());
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        List<StudyArm> chosen = new ArrayList<>();
        if (arms == null || arms.isEmpty()) {
            chosen.add(StudyArm.named(StudyArm.PI0));
            chosen.addAll(StudyArm.all().values());
        } else {
            for (String a : arms) {
                chosen.add(StudyArm.named(a));
            }
        }
        StudyResults results = new StudyResults(out);
        if (!reportOnly) {
            // runs of one study are comparable only at one pair budget
            for (var r : results.read()) {
                if (r.pairs() != 0 && r.pairs() != pairs) {
                    throw new IllegalArgumentException(results.file() + " holds runs of " + r.pairs()
                            + " pairs; continue with --pairs " + r.pairs() + " or use another --out");
                }
            }
            Path policy = pi0 != null ? pi0 : WarmStart.cacheDir(dataDir, WarmStart.Spec.standard());
            Path rm = rewardModel != null ? rewardModel : TaskRewardModel.proxyDir(policy, TaskRewardModel.ProxySpec.standard());
            StudyRun runner = new StudyRun(policy, rm, pairs, evalPoints, evalPrompts, beta);
            int made = Study.run(runner, chosen, seeds, results, line -> {
                w.println(line);
                w.flush();
            });
            w.println(made + " runs made; results in " + results.file());
        }
        List<String> order = new ArrayList<>(List.of(StudyArm.PI0));
        order.addAll(StudyArm.all().keySet());
        Path report = StudyReport.write(out, results.read(), order, beta);
        w.println("report: " + report);
        w.flush();
        return 0;
    }
}

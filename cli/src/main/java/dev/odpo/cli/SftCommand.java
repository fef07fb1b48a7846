package dev.odpo.cli;

import ai.djl.Device;
import dev.odpo.model.Decoder;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.SamplingOptions;
import dev.odpo.model.TextTokenizer;
import dev.odpo.task.ConsoleProgress;
import dev.odpo.task.DemonstrationMix;
import dev.odpo.task.GoldEvaluation;
import dev.odpo.task.SftTrainer;
import dev.odpo.task.TaskSuite;
import dev.odpo.task.WarmStart;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Trains the built-in task's warm-start policy π0 from scratch (docs/task.md). */
@Command(name = "sft", mixinStandardHelpOptions = true,
        description = {"Trains the warm-start policy pi0 from scratch on the built-in task's imperfect demonstrations "
                + "(supervised fine-tuning), saves it in Hugging Face format with its tokenizer, and reports its gold "
                + "accuracy on the held-out evaluation prompts, greedy and at temperature 1.",
                "Without --out, pi0 is cached under DATA_DIR/models/pi0-<hash of the settings> and reused when it is "
                        + "already there (the demo does the same on first use). Same settings, same pi0."})
public final class SftCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", description = "Write pi0 here instead of the cache (must not exist or be empty).")
    Path out;

    @Option(names = "--data-dir", defaultValue = "data", paramLabel = "DIR",
            description = "Data directory holding the pi0 cache (default: ./${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--force", description = "Retrain even if pi0 for these settings is cached.")
    boolean force;

    @Option(names = "--steps", description = "Optimizer steps (default: 600).")
    Integer steps;

    @Option(names = "--batch-size", description = "Demonstrations per step (default: 64).")
    Integer batchSize;

    @Option(names = "--learning-rate", description = "Peak AdamW learning rate (default: 0.002).")
    Double learningRate;

    @Option(names = "--hidden", description = "Model width (default: 128).")
    Integer hidden;

    @Option(names = "--layers", description = "Decoder layers (default: 4).")
    Integer layers;

    @Option(names = "--demonstrations", description = "Number of SFT demonstrations (default: 8000).")
    Integer demonstrations;

    @Option(names = "--seed", description = "Seed of the initial weights and the batch order (default: 1).")
    Long seed;

    @Option(names = "--eval-prompts", defaultValue = "200",
            description = "Held-out prompts to evaluate pi0 on afterwards; 0 skips (default: ${DEFAULT-VALUE}).")
    int evalPrompts;

    /** The spec the options describe: the standard π0 with any overrides. */
    WarmStart.Spec spec() {
        WarmStart.Spec s = WarmStart.Spec.standard();
        if (seed != null) {
            s = s.withSeed(seed);
        }
        SftTrainer.Options o = s.sft();
        o = new SftTrainer.Options(steps != null ? steps : o.steps(), batchSize != null ? batchSize : o.batchSize(),
                learningRate != null ? learningRate : o.learningRate(),
                Math.min(o.warmupSteps(), steps != null ? steps : o.steps()), o.seed());
        return new WarmStart.Spec(hidden != null ? hidden : s.hidden(), layers != null ? layers : s.layers(), s.heads(),
                demonstrations != null ? demonstrations : s.demonstrations(), s.suiteSeed(), DemonstrationMix.standard(),
                o, s.initSeed());
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter o = spec.commandLine().getOut();
        WarmStart.Spec s = spec();
        Path dir;
        if (out == null && !force && WarmStart.isCached(dataDir, s)) {
            o.println("pi0 for these settings is cached; reusing it (--force retrains)");
            dir = WarmStart.cacheDir(dataDir, s);
        } else {
            try (ConsoleProgress bar = new ConsoleProgress("sft", s.sft().steps())) {
                if (out != null) {
                    if (Files.isDirectory(out)) {
                        try (var entries = Files.list(out)) {
                            if (entries.findAny().isPresent() && !force) {
                                throw new IOException("--out " + out + " is not empty; pass --force to overwrite");
                            }
                        }
                    }
                    WarmStart.train(s, out, bar);
                    dir = out;
                } else {
                    if (force) {
                        WarmStart.evict(dataDir, s);
                    }
                    dir = WarmStart.ensure(dataDir, s, bar);
                }
            }
        }
        o.println("pi0: " + dir.toAbsolutePath());
        o.println(Files.readString(dir.resolve(WarmStart.MANIFEST)).strip());
        if (evalPrompts > 0) {
            var eval = TaskSuite.standard().evaluationSet(evalPrompts);
            try (TextTokenizer tok = TextTokenizer.load(dir); LlamaModel m = LlamaModel.load(dir, Device.cpu())) {
                Decoder g = new Decoder(m, tok);
                long t0 = System.nanoTime();
                GoldEvaluation.Report greedy = GoldEvaluation.run(g, tok, eval, SamplingOptions.greedy(64), new Random(1), 50);
                GoldEvaluation.Report t1 = GoldEvaluation.run(g, tok, eval, SamplingOptions.sampled(64, 1.0, 0, 1.0), new Random(2), 50);
                o.printf("held-out (%d prompts), greedy: %s%n", eval.size(), greedy.summary());
                o.printf("held-out (%d prompts), T=1:    %s%n", eval.size(), t1.summary());
                o.printf("evaluation took %.1f s%n", (System.nanoTime() - t0) / 1e9);
                List<GoldEvaluation.Rollout> show = t1.rollouts().subList(0, Math.min(6, t1.rollouts().size()));
                for (GoldEvaluation.Rollout r : show) {
                    o.printf("  %-48s -> %-40s [%s]%n", r.prompt().text(), "\"" + r.response().replace("\n", "\\n") + "\"", r.score().verdict());
                }
            }
        }
        o.flush();
        return 0;
    }
}

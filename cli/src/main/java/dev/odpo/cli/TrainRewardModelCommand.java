package dev.odpo.cli;

import dev.odpo.task.ConsoleProgress;
import dev.odpo.task.LabeledPair;
import dev.odpo.task.PairsJsonl;
import dev.odpo.task.RewardModelTrainer;
import dev.odpo.task.StepListener;
import dev.odpo.task.TaskRewardModel;
import dev.odpo.task.TaskSuite;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Bradley–Terry reward-model training from preference pairs (docs/task.md). */
@Command(name = "train-reward-model", mixinStandardHelpOptions = true,
        description = {"Trains a reward model (the base model's backbone plus a scalar score head, HF "
                + "*ForSequenceClassification layout) with the Bradley-Terry loss on preference pairs, reports pairwise "
                + "accuracy on held-out pairs (split by prompt), and saves it in Hugging Face format with the tokenizer.",
                "Pairs come from a JSONL file (--pairs; one {\"prompt\", \"chosen\", \"rejected\"} per line), or, with "
                        + "--label-policy-samples N, from the built-in task: the base policy (pi0) answers N training "
                        + "prompts K times at temperature 1 and the gold reward labels best vs worst — the task's proxy "
                        + "reward model, trained from a limited number of labels."})
public final class TrainRewardModelCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--base", required = true, paramLabel = "DIR",
            description = "HF model directory to start from (a policy such as pi0, or an existing reward model).")
    Path base;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where to save the reward model.")
    Path out;

    @Option(names = "--pairs", paramLabel = "FILE",
            description = "Preference pairs (JSONL). With --label-policy-samples, the labelled pairs are written here.")
    Path pairs;

    @Option(names = "--label-policy-samples", paramLabel = "N", defaultValue = "0",
            description = "Build the task's proxy: label the base policy's samples on N training prompts (default: off).")
    int labelPrompts;

    @Option(names = "--samples-per-prompt", paramLabel = "K", defaultValue = "4",
            description = "Samples per prompt when labelling (default: ${DEFAULT-VALUE}).")
    int samplesPerPrompt;

    @Option(names = "--held-out", defaultValue = "0.2", description = "Fraction of pairs held out, by prompt (default: ${DEFAULT-VALUE}).")
    double heldOut;

    @Option(names = "--epochs", defaultValue = "2", description = "Passes over the training pairs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "16", description = "Pairs per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--learning-rate", defaultValue = "0.001", description = "AdamW learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the score head, the batch order and the labelling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws IOException {
        PrintWriter o = spec.commandLine().getOut();
        if (!(heldOut > 0 && heldOut < 1)) {
            throw new ParameterException(spec.commandLine(), "--held-out must be in (0, 1), got " + heldOut);
        }
        RewardModelTrainer.Options options = new RewardModelTrainer.Options(epochs, batchSize, learningRate, seed);
        RewardModelTrainer.Result r;
        if (labelPrompts > 0) {
            Path file = pairs != null ? pairs : out.resolveSibling(out.getFileName() + "-pairs.jsonl");
            try (ConsoleProgress label = new ConsoleProgress("label", labelPrompts, "pairs", false);
                 TrainingBar train = new TrainingBar()) {
                r = TaskRewardModel.buildProxy(base, TaskSuite.standard(), labelPrompts, samplesPerPrompt, options, file, out,
                        (done, total, n) -> label.onStep(done, total, n), train);
            }
            o.println("gold-labelled pairs written to " + file.toAbsolutePath());
        } else {
            if (pairs == null) {
                throw new ParameterException(spec.commandLine(), "give --pairs FILE, or --label-policy-samples N for the task's proxy");
            }
            List<LabeledPair> all = PairsJsonl.read(pairs);
            if (all.size() < 2) {
                throw new ParameterException(spec.commandLine(), pairs + " holds " + all.size() + " pairs; need at least 2");
            }
            try (TrainingBar train = new TrainingBar()) {
                r = TaskRewardModel.train(base, all, heldOut, options, out, train);
            }
        }
        o.printf("pairs: %d train, %d held out%n", r.trainPairs(), r.heldOutPairs());
        o.printf("held-out pairwise accuracy: %.3f (before training %.3f); train accuracy %.3f%n",
                r.heldOutAccuracy(), r.heldOutAccuracyBefore(), r.trainAccuracy());
        o.printf("final loss %.4f, %.1f s%n", r.lastMeanLoss(10), r.seconds());
        o.println("reward model: " + out.toAbsolutePath());
        o.flush();
        return 0;
    }

    /** A progress bar created on the first step, when the step count is known. */
    private static final class TrainingBar implements StepListener, AutoCloseable {
        private ConsoleProgress bar;

        @Override
        public void onStep(int step, int total, double loss) {
            if (bar == null) {
                bar = new ConsoleProgress("train", total);
            }
            bar.onStep(step, total, loss);
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
            }
        }
    }
}

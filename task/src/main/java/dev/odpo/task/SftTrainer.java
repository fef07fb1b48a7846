package dev.odpo.task;

import dev.odpo.policy.PromptEncoding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.odpo.model.AdamW;
import dev.odpo.model.LearningRateSchedule;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.SequenceLogProbs;
import dev.odpo.model.TextTokenizer;
import dev.odpo.model.TokenBatch;
import dev.odpo.model.TrainingStep;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Supervised fine-tuning on demonstrations: minimizes the mean negative log-likelihood of the
 * response tokens (prompt tokens are context only), with AdamW, linear warm-up then cosine decay.
 * Batches are drawn by a seeded shuffle, so a run is deterministic given the seed and the model's
 * initial weights.
 */
public final class SftTrainer {

    /**
     * @param steps        optimizer steps
     * @param batchSize    demonstrations per step
     * @param learningRate peak learning rate
     * @param warmupSteps  linear warm-up from 0 to the peak, then cosine decay to 10% of it
     * @param seed         order of the batches
     */
    public record Options(int steps, int batchSize, double learningRate, int warmupSteps, long seed) {
        public Options {
            if (steps <= 0 || batchSize <= 0) {
                throw new IllegalArgumentException("steps and batch size must be > 0, got " + steps + ", " + batchSize);
            }
            if (!(learningRate > 0)) {
                throw new IllegalArgumentException("learning rate must be > 0, got " + learningRate);
            }
            if (warmupSteps < 0) {
                throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmupSteps);
            }
        }
    }

    /** Per-step training losses (mean NLL per response token, nats). */
    public record Result(List<Double> losses, double seconds) {
        /** Mean loss of the first (or last) {@code n} steps. */
        public double firstMean(int n) {
            return losses.subList(0, Math.min(n, losses.size())).stream().mapToDouble(d -> d).average().orElse(Double.NaN);
        }

        public double lastMean(int n) {
            return losses.subList(Math.max(0, losses.size() - n), losses.size()).stream().mapToDouble(d -> d).average()
                    .orElse(Double.NaN);
        }
    }

    private SftTrainer() {
    }

    public static Result train(LlamaModel model, List<Demonstration> demos, TextTokenizer tokenizer, Options options,
                               StepListener listener) {
        if (demos.isEmpty()) {
            throw new IllegalArgumentException("no demonstrations to train on");
        }
        List<int[]> prompts = new ArrayList<>(demos.size());
        List<int[]> responses = new ArrayList<>(demos.size());
        for (Demonstration d : demos) {
            prompts.add(PromptEncoding.of(tokenizer).prompt(d.prompt().text()));
            responses.add(PromptEncoding.of(tokenizer).response(d.response()));
        }
        Random rnd = new Random(options.seed());
        List<Integer> order = new ArrayList<>();
        int cursor = 0;
        List<Double> losses = new ArrayList<>(options.steps());
        long start = System.nanoTime();
        int pad = Math.max(0, tokenizer.padId());
        try (TrainingStep trainer = new TrainingStep(model, trainingOptions(options))) {
            for (int step = 1; step <= options.steps(); step++) {
                List<int[]> bp = new ArrayList<>(options.batchSize());
                List<int[]> br = new ArrayList<>(options.batchSize());
                for (int i = 0; i < options.batchSize(); i++) {
                    if (cursor == order.size()) {
                        order.clear();
                        for (int j = 0; j < demos.size(); j++) {
                            order.add(j);
                        }
                        Collections.shuffle(order, rnd);
                        cursor = 0;
                    }
                    int j = order.get(cursor++);
                    bp.add(prompts.get(j));
                    br.add(responses.get(j));
                }
                double loss;
                try (NDManager work = model.newStepManager()) {
                    TokenBatch batch = TokenBatch.of(work, bp, br, pad);
                    loss = trainer.run(work, w -> {
                        NDArray logits = model.logits(batch.inputIds(), batch.attentionMask());       // (B, T, V)
                        SequenceLogProbs lp = SequenceLogProbs.of(logits, batch);
                        // mean NLL per response token over the whole batch
                        return lp.summed().sum().neg().div(lp.mask().sum());                        // ()
                    }).loss();
                }
                losses.add(loss);
                listener.onStep(step, options.steps(), loss);
            }
        }
        return new Result(List.copyOf(losses), (System.nanoTime() - start) / 1e9);
    }

    /** AdamW with weight decay 0.01 and clipping at 1, warm-up then cosine decay to 10% of the peak. */
    static TrainingStep.Options trainingOptions(Options o) {
        return new TrainingStep.Options(AdamW.Options.of(o.learningRate()).withWeightDecay(0.01),
                new LearningRateSchedule(o.learningRate(), o.warmupSteps(), o.steps(), 0.1), 1);
    }
}

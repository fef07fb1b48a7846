package dev.odpo.task;

import dev.odpo.policy.PromptEncoding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.odpo.model.AdamW;
import dev.odpo.model.LearningRateSchedule;
import dev.odpo.model.NegLogSigmoid;
import dev.odpo.model.RewardModel;
import dev.odpo.model.TextTokenizer;
import dev.odpo.model.TokenBatch;
import dev.odpo.model.TrainingStep;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Bradley–Terry training of a reward model's score head (and backbone) from preference pairs:
 * minimizes −log σ(r(x, y_w) − r(x, y_l)) ("Training language models to follow instructions with human feedback",
 * arXiv:2203.02155, eq. 1) with the shared {@link TrainingStep}, and reports
 * pairwise accuracy — the fraction of pairs with r(chosen) &gt; r(rejected) — on pairs it did not train on.
 */
public final class RewardModelTrainer {

    /**
     * @param epochs       passes over the training pairs
     * @param batchSize    pairs per step
     * @param learningRate AdamW learning rate (constant after a short warm-up)
     * @param seed         order of the batches
     */
    public record Options(int epochs, int batchSize, double learningRate, long seed) {
        public Options {
            if (epochs <= 0 || batchSize <= 0 || !(learningRate > 0)) {
                throw new IllegalArgumentException("epochs, batch size and learning rate must be > 0, got "
                        + epochs + ", " + batchSize + ", " + learningRate);
            }
        }
    }

    /** Training losses per step and held-out pairwise accuracy before and after training. */
    public record Result(List<Double> losses, double heldOutAccuracyBefore, double heldOutAccuracy,
                         double trainAccuracy, int trainPairs, int heldOutPairs, double seconds) {
        /** Mean loss of the last {@code n} steps. */
        public double lastMeanLoss(int n) {
            return losses.subList(Math.max(0, losses.size() - n), losses.size()).stream().mapToDouble(d -> d).average()
                    .orElse(Double.NaN);
        }
    }

    private RewardModelTrainer() {
    }

    /** Pairwise accuracy of {@code rm} on {@code pairs}: ties count as half right. */
    public static double accuracy(RewardModel rm, TextTokenizer tok, List<LabeledPair> pairs, int batchSize) {
        if (pairs.isEmpty()) {
            return Double.NaN;
        }
        double right = 0;
        for (int from = 0; from < pairs.size(); from += batchSize) {
            List<LabeledPair> chunk = pairs.subList(from, Math.min(pairs.size(), from + batchSize));
            List<int[]> seqs = new ArrayList<>();
            chunk.forEach(p -> seqs.add(PromptEncoding.of(tok).sequence(p.prompt(), p.chosen())));
            chunk.forEach(p -> seqs.add(PromptEncoding.of(tok).sequence(p.prompt(), p.rejected())));
            float[] s = rm.score(seqs);
            for (int i = 0; i < chunk.size(); i++) {
                float c = s[i], r = s[i + chunk.size()];
                right += c > r ? 1 : (c == r ? 0.5 : 0);
            }
        }
        return right / pairs.size();
    }

    public static Result train(RewardModel rm, TextTokenizer tok, List<LabeledPair> trainPairs,
                               List<LabeledPair> heldOut, Options options, StepListener listener) {
        if (trainPairs.isEmpty()) {
            throw new IllegalArgumentException("no training pairs");
        }
        long start = System.nanoTime();
        int evalBatch = 32;
        double before = accuracy(rm, tok, heldOut, evalBatch);
        List<int[]> chosen = new ArrayList<>(), rejected = new ArrayList<>();
        for (LabeledPair p : trainPairs) {
            chosen.add(PromptEncoding.of(tok).sequence(p.prompt(), p.chosen()));
            rejected.add(PromptEncoding.of(tok).sequence(p.prompt(), p.rejected()));
        }
        int stepsPerEpoch = (trainPairs.size() + options.batchSize() - 1) / options.batchSize();
        int total = stepsPerEpoch * options.epochs();
        int warmup = Math.max(1, total / 20);
        Random rnd = new Random(options.seed());
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < trainPairs.size(); i++) {
            order.add(i);
        }
        List<Double> losses = new ArrayList<>(total);
        int pad = Math.max(0, tok.padId());
        int step = 0;
        TrainingStep.Options training = new TrainingStep.Options(
                AdamW.Options.of(options.learningRate()).withWeightDecay(0.01),
                LearningRateSchedule.constantAfterWarmup(options.learningRate(), warmup), 1);
        try (TrainingStep trainer = new TrainingStep(rm.backbone(), training)) {
            for (int epoch = 0; epoch < options.epochs(); epoch++) {
                Collections.shuffle(order, rnd);
                for (int from = 0; from < order.size(); from += options.batchSize()) {
                    step++;
                    List<Integer> idx = order.subList(from, Math.min(order.size(), from + options.batchSize()));
                    List<int[]> seqs = new ArrayList<>(2 * idx.size());
                    idx.forEach(i -> seqs.add(chosen.get(i)));
                    idx.forEach(i -> seqs.add(rejected.get(i)));
                    int b = idx.size();
                    double loss;
                    try (NDManager work = rm.backbone().newStepManager()) {
                        TokenBatch batch = TokenBatch.ofSequences(work, seqs, pad);
                        loss = trainer.run(work, w -> {
                            NDArray r = rm.scores(batch.inputIds(), batch.attentionMask());       // (2B)
                            NDArray margin = r.get("0:" + b).sub(r.get(b + ":"));                // (B) r_w − r_l
                            return NegLogSigmoid.of(margin).mean();                              // ()
                        }).loss();
                    }
                    losses.add(loss);
                    listener.onStep(step, total, loss);
                }
            }
        }
        double trainAcc = accuracy(rm, tok, trainPairs.subList(0, Math.min(trainPairs.size(), 512)), evalBatch);
        double after = accuracy(rm, tok, heldOut, evalBatch);
        return new Result(List.copyOf(losses), before, after, trainAcc, trainPairs.size(), heldOut.size(),
                (System.nanoTime() - start) / 1e9);
    }

    /**
     * Splits pairs into train and held-out by a hash of the prompt, so no held-out prompt is trained on.
     *
     * @return [train, heldOut]
     */
    public static List<List<LabeledPair>> splitByPrompt(List<LabeledPair> pairs, double heldOutFraction, long seed) {
        List<LabeledPair> train = new ArrayList<>(), held = new ArrayList<>();
        for (LabeledPair p : pairs) {
            long h = p.prompt().hashCode() * 0x9E3779B97F4A7C15L + seed;
            h ^= h >>> 29;
            double u = (Math.floorMod(h * 0xBF58476D1CE4E5B9L, 1_000_000L)) / 1_000_000.0;
            (u < heldOutFraction ? held : train).add(p);
        }
        return List.of(train, held);
    }
}

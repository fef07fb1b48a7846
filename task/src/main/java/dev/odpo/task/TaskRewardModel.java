package dev.odpo.task;

import ai.djl.Device;
import dev.odpo.model.Decoder;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.RewardModel;
import dev.odpo.model.TextTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Trains a Bradley–Terry reward model from pairs and saves it, with its tokenizer, in Hugging Face
 * format ({@code LlamaForSequenceClassification}). The backbone starts from a policy (usually π0), the
 * score head from a seeded random init.
 */
public final class TaskRewardModel {
    private static final Logger log = LoggerFactory.getLogger(TaskRewardModel.class);

    private TaskRewardModel() {
    }

    /**
     * @param baseDir         HF directory of the policy (or reward model) whose backbone to start from; its tokenizer is used
     * @param pairs           all labelled pairs; a seeded hash of the prompt holds out {@code heldOutFraction} of them
     * @param outDir          where the reward model and tokenizer are written
     */
    public static RewardModelTrainer.Result train(Path baseDir, List<LabeledPair> pairs, double heldOutFraction,
                                                  RewardModelTrainer.Options options, Path outDir,
                                                  StepListener listener) throws IOException {
        List<List<LabeledPair>> split = RewardModelTrainer.splitByPrompt(pairs, heldOutFraction, options.seed());
        log.info("{} pairs: {} to train on, {} held out", pairs.size(), split.get(0).size(), split.get(1).size());
        try (TextTokenizer tok = TextTokenizer.load(baseDir);
             RewardModel rm = openBase(baseDir, options.seed())) {
            RewardModelTrainer.Result r = RewardModelTrainer.train(rm, tok, split.get(0), split.get(1), options, listener);
            Files.createDirectories(outDir);
            rm.save(outDir);
            tok.save(outDir);
            return r;
        }
    }

    private static RewardModel openBase(Path dir, long seed) throws IOException {
        LlamaModel base = LlamaModel.load(dir, Device.cpu());
        if (base.config().isRewardModel()) {
            return new RewardModel(base);
        }
        try (base) {
            return RewardModel.fromPolicy(base, seed);
        }
    }

    /**
     * The task's proxy reward model: labels pairs of π0's own samples with the gold reward, writes
     * them to {@code pairsFile} (JSONL), then trains on them.
     */
    public static RewardModelTrainer.Result buildProxy(Path policyDir, TaskSuite suite, int prompts, int samplesPerPrompt,
                                                       RewardModelTrainer.Options options, Path pairsFile, Path outDir,
                                                       StepListener sampling, StepListener training) throws IOException {
        List<LabeledPair> pairs;
        try (TextTokenizer tok = TextTokenizer.load(policyDir);
             LlamaModel policy = LlamaModel.load(policyDir, Device.cpu())) {
            pairs = ProxyPairs.sample(new Decoder(policy, tok), tok, suite, prompts, samplesPerPrompt, 48,
                    options.seed(), sampling);
        }
        if (pairs.size() < 10) {
            throw new IllegalStateException("only " + pairs.size() + " of " + prompts
                    + " prompts gave a preference (all samples scored the same); label more prompts");
        }
        PairsJsonl.write(pairsFile, pairs);
        log.info("wrote {} gold-labelled pairs of policy samples to {}", pairs.size(), pairsFile);
        return train(policyDir, pairs, 0.2, options, outDir, training);
    }

    /** Labelling budget and training settings of the task's cached proxy reward model. */
    public record ProxySpec(int prompts, int samplesPerPrompt, RewardModelTrainer.Options options) {
        /** 256 prompts × 4 samples of π0, 2 epochs. */
        public static ProxySpec standard() {
            return new ProxySpec(256, 4, new RewardModelTrainer.Options(2, 16, 1e-3, 1));
        }
    }

    /**
     * The proxy reward model for a cached π0: {@code <pi0Dir>-proxy-rm-<prompts>x<samples>-s<seed>} next to it,
     * built on first use (pairs in {@code pairs.jsonl} inside it), reused afterwards while it verifies against
     * its {@code manifest.json}. Appears atomically.
     */
    /** Where the proxy reward model of {@code spec} for a cached π0 lives: next to π0's directory. */
    public static Path proxyDir(Path pi0Dir, ProxySpec spec) {
        return pi0Dir.resolveSibling(pi0Dir.getFileName() + "-proxy-rm-" + spec.prompts() + "x"
                + spec.samplesPerPrompt() + "-s" + spec.options().seed());
    }

    public static Path ensureProxy(Path pi0Dir, ProxySpec spec, StepListener sampling, StepListener training)
            throws IOException {
        return ModelCache.ensure(proxyDir(pi0Dir, spec), "proxy-rm", tmp -> {
            RewardModelTrainer.Result r = buildProxy(pi0Dir, new TaskSuite(TaskSuite.DEFAULT_SEED), spec.prompts(),
                    spec.samplesPerPrompt(), spec.options(), tmp.resolve("pairs.jsonl"), tmp, sampling, training);
            log.info("proxy reward model: held-out pairwise accuracy {} on {} pairs",
                    String.format("%.3f", r.heldOutAccuracy()), r.heldOutPairs());
        });
    }
}

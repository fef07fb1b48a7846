package dev.odpo.evaluator;

import ai.djl.Device;
import dev.odpo.model.LlamaConfig;
import dev.odpo.model.LlamaModel;
import dev.odpo.policy.CheckpointStore;
import dev.odpo.policy.Policy;
import dev.odpo.policy.Snapshot;
import dev.odpo.task.TaskTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** Tiny random policies with the task's tokenizer, in Hugging Face format: fast stand-ins for π0 and its successors. */
final class TinyPolicies {

    /** A small spec: few prompts, short responses. */
    static final EvaluationSpec SPEC = new EvaluationSpec(8, 1, 1.0, 12, 4, 0.1);

    private TinyPolicies() {
    }

    static LlamaConfig config() {
        return LlamaConfig.tiny(TaskTokenizer.vocabSize(), 32, 1, 2, 1)
                .withSpecialTokens(TaskTokenizer.BOS_ID, List.of(TaskTokenizer.EOS_ID), TaskTokenizer.PAD_ID);
    }

    /**
     * A random model whose weights are drawn with std 0.1 (norms around 1), so its next-token distributions are
     * far from uniform and two seeds give clearly different policies.
     */
    static LlamaModel model(long seed) {
        LlamaModel m = LlamaModel.random(config(), Device.cpu(), seed);
        Random rng = new Random(seed + 1);
        m.parameters().forEach((name, p) -> {
            float[] w = p.toFloatArray();
            for (int i = 0; i < w.length; i++) {
                w[i] = name.endsWith("norm.weight") ? 1f + 0.1f * (float) rng.nextGaussian() : 0.1f * (float) rng.nextGaussian();
            }
            p.set(w);
        });
        return m;
    }

    /** Writes the model of {@code seed} with the task tokenizer into {@code dir}. */
    static Path write(Path dir, long seed) throws IOException {
        try (LlamaModel m = model(seed)) {
            m.save(dir);
        }
        TaskTokenizer.write(dir);
        return dir;
    }

    static Policy load(Path dir) throws IOException {
        return Policy.load(dir, Device.cpu());
    }

    /** Publishes the model of {@code seed} as {@code version} of {@code policy}. */
    static Snapshot publish(CheckpointStore store, String policy, long version, Long referenceVersion, long seed)
            throws IOException {
        return store.publish(new CheckpointStore.Request(policy, version, version == 0 ? null : version - 1,
                referenceVersion, version * 10, version * 100, dir -> write(dir, seed)));
    }
}

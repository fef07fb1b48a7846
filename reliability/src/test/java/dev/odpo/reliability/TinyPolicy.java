package dev.odpo.reliability;

import ai.djl.Device;
import dev.odpo.model.LlamaConfig;
import dev.odpo.model.LlamaModel;
import dev.odpo.policy.CheckpointStore;
import dev.odpo.policy.Snapshot;
import dev.odpo.task.TaskTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A tiny random policy on the task's character tokenizer and chat template (2 layers of width 32, a context
 * of 128 tokens): the whole loop runs on it in seconds. Bad input is about the events, not the model.
 */
final class TinyPolicy {

    /** The model's context, in tokens. */
    static final int CONTEXT = 128;

    private TinyPolicy() {
    }

    static LlamaConfig config() {
        return new LlamaConfig("LlamaForCausalLM", TaskTokenizer.vocabSize(), 32, 64, 2, 4, 2, 8, 1e-6, 10000.0, 1.0,
                CONTEXT, true, false, 0, TaskTokenizer.BOS_ID, List.of(TaskTokenizer.EOS_ID), TaskTokenizer.PAD_ID);
    }

    /** Writes a Hugging Face directory: config.json, model.safetensors and the task tokenizer. */
    static void write(Path dir, long seed) throws IOException {
        try (LlamaModel model = LlamaModel.random(config(), Device.cpu(), seed)) {
            model.save(dir);
        }
        TaskTokenizer.write(dir);
    }

    /** Stores version {@code version} of {@code policy}, its weights seeded by the version. */
    static Snapshot publish(CheckpointStore store, String policy, long version) throws IOException {
        return store.publish(new CheckpointStore.Request(policy, version, version == 0 ? null : version - 1,
                null, version, 0, dir -> write(dir, 1000 + version)));
    }
}

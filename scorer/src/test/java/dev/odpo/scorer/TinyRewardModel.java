package dev.odpo.scorer;

import ai.djl.Device;
import dev.odpo.model.LlamaConfig;
import dev.odpo.model.RewardModel;
import dev.odpo.task.TaskTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** A small random reward model with the task's character tokenizer, written as a Hugging Face directory. */
final class TinyRewardModel {

    private TinyRewardModel() {
    }

    /**
     * Writes the model and tokenizer into {@code dir}.
     *
     * @param maxPositions the context length: longer inputs cannot be scored
     */
    static Path write(Path dir, int maxPositions, long seed) throws IOException {
        LlamaConfig config = new LlamaConfig("LlamaForCausalLM", TaskTokenizer.vocabSize(), 32, 64, 2, 4, 2, 8, 1e-6,
                10000.0, 1.0, maxPositions, false, false, 0, TaskTokenizer.BOS_ID, List.of(TaskTokenizer.EOS_ID),
                TaskTokenizer.PAD_ID);
        try (RewardModel rm = RewardModel.random(config, Device.cpu(), seed)) {
            rm.save(dir);
        }
        TaskTokenizer.write(dir);
        return dir;
    }
}

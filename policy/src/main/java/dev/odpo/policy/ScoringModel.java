package dev.odpo.policy;

import ai.djl.Device;
import dev.odpo.model.RewardModel;
import dev.odpo.model.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A reward model loaded from a Hugging Face {@code *ForSequenceClassification} directory with its tokenizer,
 * scoring (prompt, response) texts through the same {@link PromptEncoding} it was trained with.
 */
public record ScoringModel(Path dir, RewardModel model, TextTokenizer tokenizer, PromptEncoding encoding)
        implements AutoCloseable {

    public static ScoringModel load(Path dir, Device device) throws IOException {
        Policy.requireModelDir(dir);
        RewardModel model = RewardModel.load(dir, device);
        try {
            if (!model.config().isRewardModel()) {
                throw new IllegalArgumentException(dir + " holds a " + model.config().architecture()
                        + ", not a reward model (*ForSequenceClassification with one label)");
            }
            TextTokenizer tokenizer = TextTokenizer.load(dir);
            return new ScoringModel(dir, model, tokenizer, PromptEncoding.of(tokenizer));
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The model's context length in tokens: longer inputs cannot be scored. */
    public int maxTokens() {
        return model.config().maxPositions();
    }

    /** Encoded (prompt, response) input, as the reward model sees it. */
    public int[] input(String prompt, String response) {
        return encoding.sequence(prompt, response);
    }

    /** Scores of (prompt, response) pairs, in one batch. */
    public float[] score(List<String> prompts, List<String> responses) {
        List<int[]> seqs = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            seqs.add(input(prompts.get(i), responses.get(i)));
        }
        return model.score(seqs);
    }

    @Override
    public void close() {
        try {
            tokenizer.close();
        } finally {
            model.close();
        }
    }
}

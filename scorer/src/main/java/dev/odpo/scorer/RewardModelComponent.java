package dev.odpo.scorer;

import dev.odpo.events.Sample;
import dev.odpo.policy.PromptEncoding;
import dev.odpo.policy.ScoringModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A reward model's score of (prompt, response), read through the prompt encoding the model was trained
 * with (the same ids as {@link ScoringModel#input}). Samples are scored in forward passes of at most
 * {@code batchSize}, shortest first, so each pass pads to similar lengths — and on a CPU several small
 * passes are much faster than one large one (measured in docs/scorer.md).
 *
 * <p>A sample whose input is longer than the model's context is refused (dead-lettered) rather than
 * truncated or scored without the model: a truncated input is a different text, and a reward without the
 * model's part would be ranked against rewards with it inside the same group.
 */
public final class RewardModelComponent implements RewardComponent {

    private final ScoringModel model;
    private final int batchSize;

    public RewardModelComponent(ScoringModel model, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        this.model = model;
        this.batchSize = batchSize;
    }

    public ScoringModel model() {
        return model;
    }

    @Override
    public ComponentKind kind() {
        return ComponentKind.REWARD_MODEL;
    }

    @Override
    public List<ComponentResult> score(List<Sample> samples) {
        ComponentResult[] out = new ComponentResult[samples.size()];
        int[][] inputs = new int[samples.size()][];
        List<Integer> fitting = new ArrayList<>(samples.size());
        // A group's samples share their prompt: render its chat template once per batch, not once per sample.
        Map<String, int[]> prompts = new HashMap<>();
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            int[] prompt = prompts.computeIfAbsent(s.getPromptText(), model.encoding()::prompt);
            inputs[i] = PromptEncoding.concat(prompt, model.encoding().response(s.getResponseText()));
            if (inputs[i].length > model.maxTokens()) {
                out[i] = ComponentResult.refused("prompt and response are " + inputs[i].length
                        + " tokens; the reward model's context is " + model.maxTokens());
            } else {
                fitting.add(i);
            }
        }
        fitting.sort(Comparator.comparingInt(i -> inputs[i].length));
        for (int from = 0; from < fitting.size(); from += batchSize) {
            List<Integer> batch = fitting.subList(from, Math.min(fitting.size(), from + batchSize));
            float[] rewards = model.model().score(batch.stream().map(i -> inputs[i]).toList());   // (B)
            for (int j = 0; j < batch.size(); j++) {
                float r = rewards[j];
                out[batch.get(j)] = Float.isFinite(r) ? ComponentResult.value(r)
                        : ComponentResult.refused("the reward model returned " + r);
            }
        }
        return Arrays.asList(out);
    }

    @Override
    public void close() {
        model.close();
    }
}

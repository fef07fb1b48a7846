package dev.odpo.evaluator;

import dev.odpo.model.Decoder;
import dev.odpo.model.Generation;
import dev.odpo.model.SamplingOptions;
import dev.odpo.policy.Policy;
import dev.odpo.task.GoldEvaluation;
import dev.odpo.task.GoldReward;
import dev.odpo.task.TaskPrompt;
import java.util.ArrayList;
import java.util.List;

/**
 * One policy's responses to the held-out prompts — greedy, and sampled at the spec's temperature — each
 * scored with the task's gold reward. The responses of π0 are kept as the baseline later versions are
 * compared with, prompt by prompt.
 *
 * @param prompts   the held-out prompts
 * @param promptIds the prompts as the policy's {@code PromptEncoding} encodes them
 * @param greedy    the argmax responses
 * @param sampled   the sampled responses
 */
public record Rollouts(List<TaskPrompt> prompts, List<int[]> promptIds, Pass greedy, Pass sampled) {

    /**
     * Responses decoded one way, with their gold scores.
     *
     * @param generations one per prompt, in prompt order (tokens, the policy's log-prob, how it ended)
     * @param gold        gold accuracy, mean gold reward and every scored response, in prompt order
     */
    public record Pass(List<Generation> generations, GoldEvaluation.Report gold) {

        /** The gold reward of each response, in prompt order. */
        public double[] rewards() {
            return gold.rollouts().stream().mapToDouble(r -> r.score().reward()).toArray();
        }

        /** Mean response length in tokens, the closing EOS not counted. */
        public double meanTokens() {
            return generations.stream()
                    .mapToInt(g -> g.tokens().length - ("eos".equals(g.finishReason()) ? 1 : 0))
                    .average().orElse(0);
        }

        public List<String> texts() {
            return generations.stream().map(Generation::text).toList();
        }
    }

    /** Decodes {@code policy} on {@code prompts}, greedily and sampled, in batches with the spec's seeds. */
    public static Rollouts of(Policy policy, List<TaskPrompt> prompts, EvaluationSpec spec) {
        List<int[]> ids = prompts.stream().map(p -> policy.encoding().prompt(p.text())).toList();
        Decoder decoder = policy.decoder();
        Pass greedy = pass(decoder, prompts, ids, spec.greedy(), spec);
        Pass sampled = pass(decoder, prompts, ids, spec.sampled(spec.temperature()), spec);
        return new Rollouts(List.copyOf(prompts), ids, greedy, sampled);
    }

    /** One response per prompt, decoded with {@code options}; batch i uses the spec's random numbers of batch i. */
    static Pass pass(Decoder decoder, List<TaskPrompt> prompts, List<int[]> ids, SamplingOptions options,
                     EvaluationSpec spec) {
        GoldReward gold = new GoldReward();
        List<Generation> generations = new ArrayList<>(prompts.size());
        List<GoldEvaluation.Rollout> scored = new ArrayList<>(prompts.size());
        for (int from = 0, batch = 0; from < prompts.size(); from += spec.batchSize(), batch++) {
            int to = Math.min(prompts.size(), from + spec.batchSize());
            List<Generation> out = decoder.generate(ids.subList(from, to), options, spec.rngOfBatch(batch));
            for (int i = 0; i < out.size(); i++) {
                TaskPrompt p = prompts.get(from + i);
                generations.add(out.get(i));
                scored.add(new GoldEvaluation.Rollout(p, out.get(i).text(), gold.score(p, out.get(i).text())));
            }
        }
        return new Pass(List.copyOf(generations), GoldEvaluation.summarize(scored));
    }
}

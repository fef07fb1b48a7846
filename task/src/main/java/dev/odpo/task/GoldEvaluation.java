package dev.odpo.task;

import dev.odpo.policy.PromptEncoding;
import dev.odpo.model.Generation;
import dev.odpo.model.Decoder;
import dev.odpo.model.SamplingOptions;
import dev.odpo.model.TextTokenizer;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Samples a policy on task prompts and scores the responses with the gold reward: the numbers
 * docs/task.md reports for π0 (gold accuracy and mean gold reward, greedy and at temperature 1).
 */
public final class GoldEvaluation {

    /** One scored response. */
    public record Rollout(TaskPrompt prompt, String response, GoldScore score) {
    }

    /**
     * @param accuracy   fraction of responses with the right answer (concise or padded)
     * @param meanReward mean gold reward
     * @param verdicts   count of each verdict
     * @param distinct   distinct responses ÷ responses (1 = all different)
     * @param rollouts   every response, in prompt order
     */
    public record Report(double accuracy, double meanReward, Map<GoldVerdict, Integer> verdicts, double distinct,
                         List<Rollout> rollouts) {
        public String summary() {
            return String.format(java.util.Locale.ROOT, "gold accuracy %.3f, mean gold reward %.3f, distinct %.2f, %s",
                    accuracy, meanReward, distinct, verdicts);
        }
    }

    private GoldEvaluation() {
    }

    /** Samples one response per prompt (in batches) and scores it. */
    public static Report run(Decoder generator, TextTokenizer tokenizer, List<TaskPrompt> prompts,
                             SamplingOptions sampling, Random rng, int batchSize) {
        GoldReward gold = new GoldReward();
        List<Rollout> rollouts = new ArrayList<>(prompts.size());
        for (int from = 0; from < prompts.size(); from += batchSize) {
            List<TaskPrompt> chunk = prompts.subList(from, Math.min(prompts.size(), from + batchSize));
            List<int[]> ids = chunk.stream().map(p -> PromptEncoding.of(tokenizer).prompt(p.text())).toList();
            List<Generation> out = generator.generate(ids, sampling, rng);
            for (int i = 0; i < chunk.size(); i++) {
                String text = out.get(i).text();
                rollouts.add(new Rollout(chunk.get(i), text, gold.score(chunk.get(i), text)));
            }
        }
        return summarize(rollouts);
    }

    public static Report summarize(List<Rollout> rollouts) {
        Map<GoldVerdict, Integer> verdicts = new EnumMap<>(GoldVerdict.class);
        double reward = 0;
        int correct = 0;
        Set<String> distinct = new HashSet<>();
        for (Rollout r : rollouts) {
            verdicts.merge(r.score().verdict(), 1, Integer::sum);
            reward += r.score().reward();
            correct += r.score().correct() ? 1 : 0;
            distinct.add(r.response());
        }
        int n = Math.max(1, rollouts.size());
        return new Report((double) correct / n, reward / n, verdicts, (double) distinct.size() / n, List.copyOf(rollouts));
    }
}

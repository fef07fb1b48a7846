package dev.odpo.evaluator;

import dev.odpo.model.Generation;
import dev.odpo.policy.Policy;
import dev.odpo.policy.ScoringModel;
import dev.odpo.task.GoldEvaluation;
import dev.odpo.task.GoldVerdict;
import dev.odpo.task.TaskPrompt;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures policies on the held-out prompts of one {@link EvaluationSpec}: the evaluator service runs it on
 * every announced version, {@code odpo evaluate} on any model directory — the same code, so the same
 * figures for the same model.
 *
 * <p>For a policy π_θ with reference π_ref and baseline π0: gold reward and accuracy of its greedy and
 * sampled responses, KL(π_θ‖π_ref) from its own samples, J = gold reward − β·KL, its win rate against π0
 * on the same prompts with the same seeds, response length, and the proxy reward of its sampled responses
 * when a reward model is given (proxy rising while gold falls is reward over-optimization).
 */
public final class HeldOutEvaluation {

    private final EvaluationSpec spec;
    private final List<TaskPrompt> prompts;
    private final ScoringModel proxy;

    /**
     * @param proxy the reward model the loop optimizes, or null; the caller owns (and closes) it
     */
    public HeldOutEvaluation(EvaluationSpec spec, ScoringModel proxy) {
        this.spec = spec;
        this.prompts = spec.heldOutPrompts();
        this.proxy = proxy;
    }

    public EvaluationSpec spec() {
        return spec;
    }

    public List<TaskPrompt> prompts() {
        return prompts;
    }

    /** The policy's greedy and sampled responses, gold-scored: the first half of {@link #measure}. */
    public Rollouts rollouts(Policy policy) {
        return Rollouts.of(policy, prompts, spec);
    }

    /**
     * The figures of {@code policy}.
     *
     * @param own       {@link #rollouts} of {@code policy}
     * @param reference π_ref for the KL; {@code policy} itself when it is its own reference
     * @param baseline  π0's rollouts for the win rate ({@code own} when the policy is π0); null when π0 is not
     *                  available (the win rates are then left out)
     */
    public EvalFigures measure(Policy policy, Rollouts own, Policy reference, Rollouts baseline) {
        // KL is an expectation under π_θ itself: at a temperature other than 1, draw temperature-1 samples for it
        List<Generation> policySamples = spec.temperature() == 1.0 ? own.sampled().generations()
                : Rollouts.pass(policy.decoder(), prompts, own.promptIds(), spec.sampled(1.0), spec).generations();
        double kl = KlEstimate.mean(KlEstimate.logRatios(policy.model(), reference.model(), own.promptIds(),
                policySamples.stream().map(Generation::tokens).toList(), spec.batchSize()));

        GoldEvaluation.Report sampled = own.sampled().gold();
        GoldEvaluation.Report greedy = own.greedy().gold();
        Double winRate = baseline == null ? null : WinRate.of(own.sampled().rewards(), baseline.sampled().rewards());
        Double greedyWinRate = baseline == null ? null : WinRate.of(own.greedy().rewards(), baseline.greedy().rewards());
        int n = prompts.size();
        return new EvalFigures(n, sampled.meanReward(), sampled.accuracy(), greedy.meanReward(), greedy.accuracy(),
                kl, spec.beta(), winRate, greedyWinRate, own.sampled().meanTokens(), proxyReward(own.sampled()),
                sampled.distinct(), count(sampled, GoldVerdict.REFUSAL) / n, count(sampled, GoldVerdict.MALFORMED) / n);
    }

    /** Mean reward-model score of the responses, scored in batches; null without a reward model. */
    private Double proxyReward(Rollouts.Pass pass) {
        if (proxy == null) {
            return null;
        }
        List<String> texts = pass.texts();
        List<String> questions = prompts.stream().map(TaskPrompt::text).toList();
        double sum = 0;
        for (int from = 0; from < prompts.size(); from += spec.batchSize()) {
            int to = Math.min(prompts.size(), from + spec.batchSize());
            for (float s : proxy.score(new ArrayList<>(questions.subList(from, to)), new ArrayList<>(texts.subList(from, to)))) {
                sum += s;
            }
        }
        return sum / prompts.size();
    }

    private static double count(GoldEvaluation.Report r, GoldVerdict verdict) {
        return r.verdicts().getOrDefault(verdict, 0);
    }
}

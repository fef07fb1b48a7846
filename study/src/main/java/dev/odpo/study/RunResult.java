package dev.odpo.study;

import dev.odpo.evaluator.EvalFigures;
import java.util.List;

/**
 * What one (arm, seed) run measured: the held-out figures after every evaluation point, the last one being the
 * run's result. One line of {@code results.jsonl}.
 *
 * @param arm        the arm's name
 * @param seed       the run's seed (prompts, sampling, pair order, and the evaluation's random numbers)
 * @param pairs      labeled pairs the policy was trained on
 * @param steps      optimizer steps
 * @param prompts    training prompts drawn
 * @param samples    responses sampled for training
 * @param seconds    wall time of the run
 * @param trajectory the figures at each evaluation point, in order of pairs; the last is the result
 */
public record RunResult(String arm, long seed, int pairs, int steps, int prompts, int samples, double seconds,
                        List<Point> trajectory) {

    /**
     * The held-out figures of the policy after {@code pairs} labeled pairs (sampled at temperature 1).
     *
     * @param pairs          labeled pairs trained on so far
     * @param goldReward     mean gold reward
     * @param accuracy       gold accuracy
     * @param greedyAccuracy gold accuracy of the greedy answers
     * @param kl             KL(π_θ‖π0) per response, nats, estimated as the evaluator does
     * @param objective      J = gold reward − β·KL with the study's β
     * @param length         mean response length, tokens
     * @param proxyReward    mean proxy reward-model score
     */
    public record Point(int pairs, double goldReward, double accuracy, double greedyAccuracy, double kl,
                        double objective, double length, double proxyReward) {

        static Point of(int pairs, EvalFigures f) {
            return new Point(pairs, f.goldReward(), f.accuracy(), f.greedyAccuracy(), f.kl(), f.objective(),
                    f.meanResponseTokens(), f.proxyReward() == null ? Double.NaN : f.proxyReward());
        }
    }

    public RunResult {
        trajectory = List.copyOf(trajectory);
        if (trajectory.isEmpty()) {
            throw new IllegalArgumentException("a run has at least its final evaluation");
        }
    }

    /** The figures at the end of the run. */
    public Point last() {
        return trajectory.get(trajectory.size() - 1);
    }
}

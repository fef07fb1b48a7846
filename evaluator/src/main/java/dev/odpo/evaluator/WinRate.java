package dev.odpo.evaluator;

/**
 * How often a policy's response beats the baseline's response to the same prompt, by gold reward: a win
 * counts 1, a tie ½, a loss 0, averaged over prompts. Counting ties half makes a policy against itself
 * exactly 0.5, and keeps the rate meaningful with a gold reward that often ties (two wrong answers of the
 * same form); 0.5 means "no better than the baseline".
 */
final class WinRate {

    private WinRate() {
    }

    /**
     * @param policy   the policy's reward on each prompt
     * @param baseline the baseline's reward on the same prompts, in the same order
     */
    static double of(double[] policy, double[] baseline) {
        if (policy.length != baseline.length || policy.length == 0) {
            throw new IllegalArgumentException("need rewards for the same, non-empty set of prompts; got "
                    + policy.length + " and " + baseline.length);
        }
        double wins = 0;
        for (int i = 0; i < policy.length; i++) {
            wins += policy[i] > baseline[i] ? 1 : policy[i] == baseline[i] ? 0.5 : 0;
        }
        return wins / policy.length;
    }
}

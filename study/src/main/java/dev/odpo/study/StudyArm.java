package dev.odpo.study;

import dev.odpo.generator.SamplerChoice;
import dev.odpo.model.DpoLoss;
import dev.odpo.model.ReferenceMode;
import dev.odpo.pairs.SelectionRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One configuration of the learning loop that the study compares with the others at an equal number of labeled
 * pairs. The baseline, {@code online}, is the demo's loop; every other arm changes one choice.
 *
 * @param name           the arm's name in commands and tables
 * @param what           one line: what the arm changes, for the table
 * @param rounds         how the pairs are gathered: 0 = fully online (a fresh batch of pairs from the current
 *                       policy before every optimizer step), k &ge; 1 = k rounds, each gathering 1/k of the pairs
 *                       from the policy as it stands and training on them (1 = offline: all pairs from π0)
 * @param n              responses drawn per prompt
 * @param sampler        vanilla (all from π_θ) or PILAF (pairs from π_θ or π⁺/π⁻)
 * @param selection      which responses of a group become pairs
 * @param loss           the member of the DPO family
 * @param beta           β of the loss (and of PILAF's π⁺/π⁻)
 * @param reference      π_ref: π0 throughout, or the policy's weights at each publish
 * @param proxyWeight    weight of the proxy reward model in the training reward
 * @param verifierWeight weight of the task's verifier (the gold reward) in the training reward
 * @param lengthPenalty  λ of reward − λ·|response| in characters ("RLHF Workflow", arXiv:2405.07863, eq. 8)
 * @param feedbackRate   share of prompts that also get a simulated human choice between two of their responses,
 *                       decided by the gold reward; 0 = none
 * @param feedbackWeight weight of those pairs in the loss (a human pair's weight as the learner applies it)
 */
public record StudyArm(String name, String what, int rounds, int n, SamplerChoice sampler, SelectionRule selection,
                       DpoLoss.Kind loss, double beta, ReferenceMode reference, double proxyWeight,
                       double verifierWeight, double lengthPenalty, double feedbackRate, double feedbackWeight) {

    /** The demo's learning rate. */
    public static final double LEARNING_RATE = 5e-5;
    /** Pairs per optimizer step (the demo learner's batch). */
    public static final int BATCH = 16;
    /** Optimizer steps between published versions (the demo's snapshot steps): a {@code previous} reference moves then. */
    public static final int PUBLISH_STEPS = 8;
    /** Warm-up steps of the learning rate (the demo learner's). */
    public static final int WARMUP_STEPS = 5;

    public StudyArm {
        if (rounds < 0) {
            throw new IllegalArgumentException("rounds must be >= 0, got " + rounds);
        }
        if (n < 2 || (sampler == SamplerChoice.PILAF && n % 2 != 0)) {
            throw new IllegalArgumentException("n must be >= 2 (and even for PILAF), got " + n);
        }
        if (!(beta > 0) || !(feedbackRate >= 0 && feedbackRate <= 1) || !(lengthPenalty >= 0)) {
            throw new IllegalArgumentException("bad arm " + name + ": beta " + beta + ", feedback rate " + feedbackRate
                    + ", length penalty " + lengthPenalty);
        }
    }

    /** π0 itself: no training; its row anchors the table and the plots at zero pairs. */
    public static final String PI0 = "pi0";

    /** The demo's loop: online, 8 samples, best vs worst, sigmoid DPO at β 0.1, π0 as reference, proxy + 10 × verifier. */
    public static StudyArm online() {
        return new StudyArm("online", "the demo's loop: fully online, best-of-8 vs worst-of-8, sigmoid, beta 0.1, "
                + "reference pi0, proxy + 10 x verifier", 0, 8, SamplerChoice.VANILLA, SelectionRule.MAX_MIN,
                DpoLoss.Kind.SIGMOID, 0.1, ReferenceMode.INITIAL, 1, 10, 0, 0, 1);
    }

    private StudyArm with(String name, String what) {
        return new StudyArm(name, what, rounds, n, sampler, selection, loss, beta, reference, proxyWeight, verifierWeight,
                lengthPenalty, feedbackRate, feedbackWeight);
    }

    private StudyArm rounds(int k) {
        return new StudyArm(name, what, k, n, sampler, selection, loss, beta, reference, proxyWeight, verifierWeight,
                lengthPenalty, feedbackRate, feedbackWeight);
    }

    private StudyArm sampling(int perPrompt, SamplerChoice s, SelectionRule rule) {
        return new StudyArm(name, what, rounds, perPrompt, s, rule, loss, beta, reference, proxyWeight, verifierWeight,
                lengthPenalty, feedbackRate, feedbackWeight);
    }

    private StudyArm loss(DpoLoss.Kind kind, double b) {
        return new StudyArm(name, what, rounds, n, sampler, selection, kind, b, reference, proxyWeight, verifierWeight,
                lengthPenalty, feedbackRate, feedbackWeight);
    }

    private StudyArm reward(double proxy, double verifier, double lambda, double rate) {
        return new StudyArm(name, what, rounds, n, sampler, selection, loss, beta, reference, proxy, verifier, lambda,
                rate, feedbackWeight);
    }

    private StudyArm reference(ReferenceMode mode) {
        return new StudyArm(name, what, rounds, n, sampler, selection, loss, beta, mode, proxyWeight, verifierWeight,
                lengthPenalty, feedbackRate, feedbackWeight);
    }

    /** Every named arm, in the order the study runs them (the most important comparisons first). */
    public static Map<String, StudyArm> all() {
        StudyArm base = online();
        List<StudyArm> arms = new ArrayList<>();
        arms.add(base);
        arms.add(base.rounds(1).with("offline", "all pairs from pi0's samples, then trained for the same steps"));
        arms.add(base.rounds(3).with("iterative", "3 iterations: a third of the pairs from the current policy, train, repeat"));
        arms.add(base.sampling(2, SamplerChoice.PILAF, SelectionRule.PILAF)
                .with("pilaf", "PILAF: one pair per prompt, from pi_theta or from pi+/pi- (arXiv:2502.04270)"));
        arms.add(base.sampling(8, SamplerChoice.VANILLA, SelectionRule.MAX_RANDOM)
                .with("random-pairs", "best-of-8 vs a random other sample"));
        arms.add(base.reference(ReferenceMode.PREVIOUS).with("ref-previous", "reference = the previous published version"));
        arms.add(base.reward(1, 0, 0, 0).with("proxy-only", "the proxy reward model alone as the scorer"));
        arms.add(base.reward(0, 1, 0, 0).with("gold-only", "the verifier (gold reward) alone as the scorer"));
        arms.add(base.loss(DpoLoss.Kind.IPO, 0.1).with("ipo", "IPO loss at beta 0.1"));
        arms.add(base.loss(DpoLoss.Kind.HINGE, 0.1).with("hinge", "hinge (SLiC) loss at beta 0.1"));
        arms.add(base.reward(1, 10, 0.05, 0).with("length-penalty", "reward - 0.05 x characters"));
        arms.add(base.loss(DpoLoss.Kind.SIGMOID, 0.5).with("beta-0.5", "sigmoid DPO at beta 0.5"));
        arms.add(base.reward(1, 0, 0, 0.25).with("proxy+feedback",
                "proxy alone, plus a simulated human choice (by gold reward) on 25 % of prompts, weight 1"));
        arms.add(base.loss(DpoLoss.Kind.SIGMOID, 0.02).with("beta-0.02", "sigmoid DPO at beta 0.02"));
        arms.add(base.loss(DpoLoss.Kind.IPO, 0.5).with("ipo-0.5", "IPO loss at beta 0.5"));
        arms.add(base.loss(DpoLoss.Kind.HINGE, 0.5).with("hinge-0.5", "hinge (SLiC) loss at beta 0.5"));
        Map<String, StudyArm> out = new LinkedHashMap<>();
        for (StudyArm a : arms) {
            out.put(a.name(), a);
        }
        return out;
    }

    /** The arm named {@code name} ({@link #PI0} included: π0 untrained, shaped like {@code online}). */
    public static StudyArm named(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        if (key.equals(PI0)) {
            return online().with(PI0, "pi0, untrained");
        }
        StudyArm arm = all().get(key);
        if (arm == null) {
            throw new IllegalArgumentException("unknown arm '" + name + "'; expected one of " + PI0 + ", "
                    + String.join(", ", all().keySet()));
        }
        return arm;
    }

    /** Whether this arm trains at all. */
    public boolean trains() {
        return !name.equals(PI0);
    }
}

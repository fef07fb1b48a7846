package dev.odpo.evaluator;

import dev.odpo.events.EvalReport;
import dev.odpo.policy.SnapshotManifest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The figures of one policy on the held-out set. "Sampled" figures are of responses drawn at the spec's
 * temperature — the policy as it behaves — and are the headline ones; greedy figures are the argmax answers.
 *
 * @param prompts            held-out prompts evaluated
 * @param goldReward         mean gold reward, sampled
 * @param accuracy           fraction of sampled responses with the right answer (concise or padded)
 * @param greedyGoldReward   mean gold reward, greedy
 * @param greedyAccuracy     gold accuracy, greedy
 * @param kl                 KL(π_θ‖π_ref) estimated from the policy's own samples, nats per response ({@link KlEstimate})
 * @param beta               β of the objective
 * @param winRate            sampled responses against π0's on the same prompts with the same seeds, ties half
 *                           ({@link WinRate}); null when π0 was not available
 * @param greedyWinRate      the same for greedy responses; null when π0 was not available
 * @param meanResponseTokens mean length of the sampled responses, in tokens, EOS not counted
 * @param proxyReward        mean score of the sampled responses under the configured reward model; null without one
 * @param distinct           distinct sampled responses ÷ responses
 * @param refusalRate        fraction of sampled responses that refuse
 * @param malformedRate      fraction of sampled responses with no answer of the expected shape
 */
public record EvalFigures(int prompts, double goldReward, double accuracy, double greedyGoldReward,
                          double greedyAccuracy, double kl, double beta, Double winRate, Double greedyWinRate,
                          double meanResponseTokens, Double proxyReward, double distinct, double refusalRate,
                          double malformedRate) {

    /** Names of the figures in {@link EvalReport#getMetrics()}: the ones the report's own fields do not hold. */
    public static final String GREEDY_GOLD_REWARD = "greedy_gold_reward";
    public static final String GREEDY_ACCURACY = "greedy_accuracy";
    public static final String WIN_RATE = "win_rate_vs_pi0";
    public static final String GREEDY_WIN_RATE = "greedy_win_rate_vs_pi0";
    public static final String DISTINCT = "distinct";
    public static final String REFUSAL_RATE = "refusal_rate";
    public static final String MALFORMED_RATE = "malformed_rate";
    public static final String STEP = "step";
    public static final String PAIRS_TRAINED = "pairs_trained";
    /** Wall time of the evaluation; the one figure that differs between two runs of the same evaluation. */
    public static final String EVAL_SECONDS = "eval_seconds";

    /** J = gold reward − β·KL(π_θ‖π_ref) ("PILAF: Optimal Human Preference Sampling for Reward Modeling", arXiv:2502.04270). */
    public double objective() {
        return goldReward - beta * kl;
    }

    /**
     * What was evaluated.
     *
     * @param policyName       the policy's name (for a model directory that is no snapshot: the directory's name)
     * @param version          its version; -1 for a directory that was never published
     * @param referenceVersion the version of π_ref, or null when π_ref is no published version
     * @param step             optimizer steps the snapshot was trained for; null when unknown
     * @param pairsTrained     preference pairs it was trained on; null when unknown
     */
    public record Subject(String policyName, long version, Long referenceVersion, Long step, Long pairsTrained) {

        /** A published snapshot, from its manifest, measured against π_ref of version {@code referenceVersion}. */
        public static Subject of(SnapshotManifest m, Long referenceVersion) {
            return new Subject(m.policyName(), m.version(), referenceVersion, m.step(), m.pairsTrained());
        }
    }

    /** The report published on the evaluations topic (key: the policy's name). */
    public EvalReport toReport(Subject subject, EvaluationSpec spec, Instant createdAt, double seconds) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put(GREEDY_GOLD_REWARD, greedyGoldReward);
        metrics.put(GREEDY_ACCURACY, greedyAccuracy);
        if (winRate != null) {
            metrics.put(WIN_RATE, winRate);
        }
        if (greedyWinRate != null) {
            metrics.put(GREEDY_WIN_RATE, greedyWinRate);
        }
        metrics.put(DISTINCT, distinct);
        metrics.put(REFUSAL_RATE, refusalRate);
        metrics.put(MALFORMED_RATE, malformedRate);
        if (subject.step() != null) {
            metrics.put(STEP, subject.step().doubleValue());
        }
        if (subject.pairsTrained() != null) {
            metrics.put(PAIRS_TRAINED, subject.pairsTrained().doubleValue());
        }
        metrics.put(EVAL_SECONDS, seconds);
        String label = spec.label();
        return EvalReport.newBuilder()
                .setReportId(subject.policyName() + "-v" + subject.version() + "-"
                        + SnapshotManifest.sha256(label.getBytes(StandardCharsets.UTF_8)).substring(0, 12))
                .setPolicyName(subject.policyName())
                .setPolicyVersion(subject.version())
                .setCreatedAt(createdAt)
                .setEvalSet(label)
                .setNumPrompts(prompts)
                .setGoldReward(goldReward)
                .setKlToReference(kl)
                .setBeta(beta)
                .setObjective(objective())
                .setReferenceVersion(subject.referenceVersion())
                .setAccuracy(accuracy)
                .setProxyReward(proxyReward)
                .setMeanResponseTokens(meanResponseTokens)
                .setMetrics(metrics)
                .build();
    }
}

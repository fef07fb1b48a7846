package dev.odpo.learner;

import dev.odpo.events.LearnerMetrics;
import dev.odpo.model.DpoLoss;
import dev.odpo.model.DpoTrainer;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * What the learner did since its last {@code LearnerMetrics} record: the DPO metrics of its minibatches
 * (means weighted by pairs), the staleness of the pairs it trained on, what it skipped, and where the wall
 * time went. {@link #toRecord} closes the window; the counters then start again.
 */
final class MetricsWindow {

    private long startNanos;
    private long waitingNanos;
    private long trainingNanos;
    private int minibatches;
    private int measured;
    private int pairs;
    private double loss;
    private double accuracy;
    private double chosen;
    private double rejected;
    private double margin;
    private double kl;
    private int norms;
    private double normSum;
    private double learningRate = Double.NaN;
    private long stalenessSum;
    private long stalenessMax;
    private final TreeMap<Long, Long> stalenessCounts = new TreeMap<>();
    private long skippedStale;
    private long duplicates;
    private long deadLettered;
    private long skippedNonFinite;

    MetricsWindow(long nowNanos) {
        startNanos = nowNanos;
    }

    /** A minibatch's DPO metrics (its loss was finite), and the time its step took. */
    void minibatch(DpoTrainer.StepMetrics m, long nanos) {
        trainingNanos += nanos;
        learningRate = m.learningRate();
        if (m.status() == dev.odpo.model.TrainingStep.Status.SKIPPED_LOSS) {
            return;
        }
        minibatches++;
        measured += m.pairs();
        loss += m.loss() * m.pairs();
        accuracy += m.rewardAccuracy() * m.pairs();
        chosen += m.chosenReward() * m.pairs();
        rejected += m.rejectedReward() * m.pairs();
        margin += m.rewardMargin() * m.pairs();
        kl += m.klEstimate() * m.pairs();
        if (Double.isFinite(m.gradientNorm())) {
            norms++;
            normSum += m.gradientNorm();
        }
    }

    /** A pair trained on (its update was applied), sampled {@code staleness} versions behind the learner. */
    void trained(long staleness) {
        pairs++;
        stalenessSum += staleness;
        stalenessMax = Math.max(stalenessMax, staleness);
        stalenessCounts.merge(staleness, 1L, Long::sum);
    }

    /** Pairs whose minibatch or update was skipped for a non-finite loss or gradient. */
    void skippedNonFinite(int n) {
        skippedNonFinite += n;
    }

    void skippedStale() {
        skippedStale++;
    }

    void duplicate() {
        duplicates++;
    }

    void deadLettered() {
        deadLettered++;
    }

    /** Time spent blocked on the pairs topic with too few pairs to train. */
    void waited(long nanos) {
        waitingNanos += nanos;
    }

    int minibatches() {
        return minibatches;
    }

    /** The record for this window, then a fresh window from {@code nowNanos}. */
    LearnerMetrics toRecord(String policyName, long trainingVersion, long updates, DpoLoss lossFn, long nowNanos) {
        double seconds = Math.max(1e-9, (nowNanos - startNanos) / 1e9);
        Map<String, Double> extra = new LinkedHashMap<>();
        extra.put("kl_estimate", mean(kl));
        extra.put("grad_norm", norms == 0 ? Double.NaN : normSum / norms);
        extra.put("pairs_per_second", pairs / seconds);
        // pairs through forward/backward per second of step time (epochs count each pass)
        extra.put("train_pairs_per_second", trainingNanos == 0 ? Double.NaN : measured / (trainingNanos / 1e9));
        extra.put("wait_share", Math.min(1.0, waitingNanos / 1e9 / seconds));
        extra.put("minibatches", (double) minibatches);
        extra.put("skipped_stale", (double) skippedStale);
        extra.put("duplicates", (double) duplicates);
        extra.put("dead_lettered", (double) deadLettered);
        extra.put("skipped_non_finite", (double) skippedNonFinite);
        extra.put("window_seconds", seconds);
        stalenessCounts.forEach((s, n) -> extra.put("staleness_" + s, (double) n));
        LearnerMetrics out = LearnerMetrics.newBuilder()
                .setMetricsId(UUID.randomUUID().toString())
                .setPolicyName(policyName)
                .setPolicyVersion(trainingVersion)
                .setStep(updates)
                .setCreatedAt(Instant.now())
                .setLossType(lossFn.kind().label())
                .setBeta(lossFn.beta())
                .setLoss(mean(loss))
                .setRewardAccuracy(mean(accuracy))
                .setRewardMargin(mean(margin))
                .setChosenReward(mean(chosen))
                .setRejectedReward(mean(rejected))
                .setPairs(pairs)
                .setStalenessMean(pairs == 0 ? 0 : (double) stalenessSum / pairs)
                .setStalenessMax(stalenessMax)
                .setLearningRate(learningRate)
                .setMetrics(extra)
                .build();
        reset(nowNanos);
        return out;
    }

    private double mean(double sum) {
        return measured == 0 ? Double.NaN : sum / measured;
    }

    private void reset(long nowNanos) {
        startNanos = nowNanos;
        waitingNanos = 0;
        trainingNanos = 0;
        minibatches = 0;
        measured = 0;
        pairs = 0;
        loss = accuracy = chosen = rejected = margin = kl = 0;
        norms = 0;
        normSum = 0;
        stalenessSum = 0;
        stalenessMax = 0;
        stalenessCounts.clear();
        skippedStale = duplicates = deadLettered = skippedNonFinite = 0;
    }
}

package dev.odpo.cli.monitor;

import java.util.List;

/**
 * What the loop looks like at one moment, as read from its topics: an immutable value that the terminal view
 * renders and the web monitor serves as JSON. Absent figures are null (nothing seen yet), never invented.
 *
 * @param atMillis    when it was observed (epoch milliseconds)
 * @param policy      the policy it is filtered to, or null for every policy
 * @param topics      one row per odpo topic, in the order of the loop
 * @param groups      one row per consumer group reading odpo topics (services and any other reader)
 * @param stages      the policy version seen at each stage of the loop
 * @param learner     the learner's latest metrics, or null
 * @param evaluations the newest evaluated versions, oldest first (at most {@link LoopObserver#MAX_VERSIONS})
 * @param history     recent time series for charts
 * @param deadLetter  the newest dead letter seen since the monitor started, or null
 */
public record LoopState(long atMillis, String policy, List<TopicActivity> topics, List<GroupLag> groups,
                        Stages stages, Learner learner, List<Evaluation> evaluations, History history,
                        DeadLetterSeen deadLetter) {

    /**
     * One topic's traffic.
     *
     * @param topic         short name (samples)
     * @param events        events committed since the monitor started
     * @param perSecond     events per second over the last rate window
     * @param endOffset     the sum of its partitions' end offsets (what a consumer must reach to have no lag)
     */
    public record TopicActivity(String topic, long events, double perSecond, long endOffset) {}

    /**
     * One consumer group's lag.
     *
     * @param group   the group id (a service names its group in its settings, e.g. odpo-generator)
     * @param topics  the odpo topics it has committed offsets on (short names)
     * @param lag     records between its committed offsets and the end of those topics
     */
    public record GroupLag(String group, List<String> topics, long lag) {}

    /**
     * The policy version each stage has most recently shown; null where the stage has not shown one.
     *
     * @param generator the version the newest sample was drawn from
     * @param scorer    the version named by the newest score
     * @param pairs     the newer of the two versions of the newest pair
     * @param learner   the newest version announced on checkpoints
     * @param evaluator the newest version with an evaluation report
     */
    public record Stages(Long generator, Long scorer, Long pairs, Long learner, Long evaluator) {}

    /** The learner's latest metrics (see the learner-metrics topic). */
    public record Learner(String policy, long version, long step, String lossType, double beta, double loss,
                          double rewardAccuracy, double rewardMargin, double stalenessMean, long stalenessMax,
                          double learningRate, Double pairsPerSecond, Double klToReference) {}

    /** One version's evaluation report (see the evaluations topic); pairsTrained is what the learner had trained. */
    public record Evaluation(String policy, long version, Long pairsTrained, double goldReward, Double accuracy,
                             Double greedyAccuracy, double kl, double objective, Double proxyReward,
                             Double meanResponseTokens, Double winRate) {}

    /** The newest dead letter: which service refused what, and why. */
    public record DeadLetterSeen(String service, String sourceTopic, String reason, long atMillis) {}

    /** Recent series for the charts, each at most {@link Series#CAPACITY} points, oldest first. */
    public record History(List<Series.Point> samplesPerSecond, List<Series.Point> pairsPerSecond,
                          List<Series.Point> totalLag, List<Series.Point> learnerLoss,
                          List<Series.Point> learnerRewardAccuracy) {}
}

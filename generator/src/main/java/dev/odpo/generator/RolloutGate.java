package dev.odpo.generator;

import dev.odpo.events.EvalReport;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether a verified new version may replace the one being served. With {@code rollout.gate=none} every
 * newer version is adopted at once. With {@code rollout.gate=eval} a new version waits for the evaluator's report
 * on it, and is adopted only if its gold reward is not below the live version's by more than
 * {@code rollout.gate.tolerance}; otherwise it is rejected (logged and counted) and the live version keeps
 * serving. Reports are read from the {@code evaluations} topic by a consumer of its own that joins no group.
 */
final class RolloutGate implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RolloutGate.class);
    /** Reports kept: the newest versions' gold rewards (older ones can no longer be candidates or live). */
    static final int KEPT_REPORTS = 1_000;

    /** What to do with a candidate version now. */
    enum Verdict { ADOPT, REJECT, WAIT }

    /**
     * A verdict and why.
     *
     * @param verdict adopt, reject, or wait for a report
     * @param reason  what the verdict rests on, for the log
     */
    record Decision(Verdict verdict, String reason) {}

    /**
     * The gate's rule, as a pure function of the two reports' gold rewards (null: no report yet).
     *
     * @param tolerance how far below the live version's gold reward a candidate may be and still be adopted
     */
    static Decision judge(long candidate, Double candidateGold, long live, Double liveGold, double tolerance) {
        if (candidateGold == null) {
            return new Decision(Verdict.WAIT, "no evaluation report for v" + candidate + " yet");
        }
        if (liveGold == null) {
            return new Decision(Verdict.WAIT, "no evaluation report for the live v" + live + " yet");
        }
        String figures = String.format(Locale.ROOT, "gold reward v%d %.4f, live v%d %.4f, tolerance %.4f", candidate,
                candidateGold, live, liveGold, tolerance);
        return candidateGold < liveGold - tolerance
                ? new Decision(Verdict.REJECT, figures)
                : new Decision(Verdict.ADOPT, figures);
    }

    private final String policyName;
    private final double tolerance;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Topic<String, EvalReport> topic;
    private final ConcurrentSkipListMap<Long, Double> goldRewards = new ConcurrentSkipListMap<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;

    private RolloutGate(String policyName, double tolerance, KafkaSettings kafka) {
        this.policyName = policyName;
        this.tolerance = tolerance;
        if (kafka == null) {
            consumer = null;
            topic = null;
            thread = null;
            stopped.countDown();
            return;
        }
        this.topic = kafka.topics().evaluations();
        this.consumer = new KafkaConsumer<>(kafka.rawConsumer("unused", "generator-rollout-gate-" + policyName));
        this.thread = new Thread(this::follow, "generator-rollout-gate-" + policyName);
        thread.setDaemon(true);
        thread.start();
    }

    /** No gate: every newer verified version is adopted. */
    static RolloutGate open() {
        return new RolloutGate(null, 0, null);
    }

    /** The evaluation gate for {@code policyName}, reading reports from the evaluations topic. */
    static RolloutGate onEvaluations(KafkaSettings kafka, String policyName, double tolerance) {
        return new RolloutGate(policyName, tolerance, kafka);
    }

    boolean gated() {
        return consumer != null;
    }

    /** Whether {@code candidate} may replace {@code live} now. */
    Decision decide(long candidate, long live) {
        if (!gated()) {
            return new Decision(Verdict.ADOPT, "no rollout gate");
        }
        return judge(candidate, goldRewards.get(candidate), live, goldRewards.get(live), tolerance);
    }

    private void follow() {
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic.name(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    accept(r);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("generator: reading {} for the rollout gate failed; new versions wait until a restart", topic.name(), e);
        } finally {
            stopped.countDown();
        }
    }

    private void accept(ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            return;
        }
        EvalReport report;
        try {
            report = topic.value(r);
        } catch (RuntimeException e) {
            return;   // the evaluations topic's own readers dead-letter what does not decode
        }
        if (report.getPolicyName().equals(policyName)) {
            goldRewards.put(report.getPolicyVersion(), report.getGoldReward());
            while (goldRewards.size() > KEPT_REPORTS) {
                goldRewards.pollFirstEntry();
            }
        }
    }

    @Override
    public void close() {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
            try {
                stopped.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            consumer.close();
        }
    }
}

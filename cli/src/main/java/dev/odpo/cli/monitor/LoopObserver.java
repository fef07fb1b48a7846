package dev.odpo.cli.monitor;

import dev.odpo.cli.monitor.LoopState.DeadLetterSeen;
import dev.odpo.cli.monitor.LoopState.Evaluation;
import dev.odpo.cli.monitor.LoopState.GroupLag;
import dev.odpo.cli.monitor.LoopState.Learner;
import dev.odpo.cli.monitor.LoopState.Stages;
import dev.odpo.cli.monitor.LoopState.TopicActivity;
import dev.odpo.evaluator.EvalFigures;
import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.DeadLetter;
import dev.odpo.events.EvalReport;
import dev.odpo.events.LearnerMetrics;
import dev.odpo.events.PreferencePair;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Watches the loop from the outside, with plain Kafka clients, as any user could: a consumer that joins no group
 * and commits nothing (read_committed, so aborted transactions never count) and an Admin client for the consumer
 * groups' committed offsets. Each {@link #observe()} reads what arrived since the last one and returns a
 * {@link LoopState}.
 *
 * <p>Event rates count the records actually delivered, not offsets (transaction markers take offsets too). Of
 * samples, scores and pairs, the monitor reads the newest {@link #TAIL_RECORDS} records of each partition at the
 * start and then what arrives, for the policy versions they name;
 * checkpoints, evaluations and learner metrics are read from the beginning, so the history is there at once.
 * Everything kept is bounded: the newest {@link #MAX_VERSIONS} evaluations and {@link Series#CAPACITY} points a
 * series, so the monitor's memory does not grow with the number of events.
 */
public final class LoopObserver implements AutoCloseable {

    /** The newest evaluation reports kept (a loop running for days publishes thousands of versions). */
    public static final int MAX_VERSIONS = 500;
    /** Records read back from each partition of samples, scores and pairs at the start, for the versions they name. */
    static final int TAIL_RECORDS = 100;
    /** Event rates are averaged over this window. */
    static final long RATE_WINDOW_MILLIS = 10_000;

    private final Topics topics;
    private final String policy;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Admin admin;
    private final LongSupplier clock;
    private final long startedAt;
    private final Set<String> assignedTopics = new HashSet<>();
    private final Map<String, TopicCounter> counters = new LinkedHashMap<>();
    private final TreeMap<Long, Evaluation> evaluations = new TreeMap<>();
    private final Series samplesPerSecond = new Series();
    private final Series pairsPerSecond = new Series();
    private final Series totalLag = new Series();
    private final Series learnerLoss = new Series();
    private final Series learnerRewardAccuracy = new Series();
    private Long generatorVersion;
    private Long scorerVersion;
    private Long pairsVersion;
    private Long announcedVersion;
    private Learner learner;
    private DeadLetterSeen deadLetter;

    /**
     * @param kafka  where the loop's broker and registry are, and its topic prefix
     * @param policy show only this policy's versions, metrics and reports; null for all
     */
    public LoopObserver(KafkaSettings kafka, String policy) {
        this(kafka, policy, System::currentTimeMillis);
    }

    LoopObserver(KafkaSettings kafka, String policy, LongSupplier clock) {
        this.topics = kafka.topics();
        this.policy = policy;
        this.clock = clock;
        this.startedAt = clock.getAsLong();
        this.consumer = new KafkaConsumer<>(kafka.rawConsumer("unused", "odpo-monitor"));
        this.admin = Admin.create(kafka.admin("odpo-monitor-admin"));
        for (Topic<?, ?> t : topics.all()) {
            counters.put(t.name(), new TopicCounter(shortName(t)));
        }
    }

    /** Reads what arrived since the last call (for at most about a second) and returns the loop's state. */
    public LoopState observe() {
        assignNewTopics();
        long deadline = clock.getAsLong() + 1_000;
        int read;
        do {
            read = 0;
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                read++;
                accept(r);
            }
        } while (read > 0 && clock.getAsLong() < deadline);
        long now = clock.getAsLong();
        Map<TopicPartition, Long> ends = endOffsets();
        List<TopicActivity> activity = new ArrayList<>();
        for (Map.Entry<String, TopicCounter> e : counters.entrySet()) {
            long end = ends.entrySet().stream().filter(p -> p.getKey().topic().equals(e.getKey()))
                    .mapToLong(Map.Entry::getValue).sum();
            activity.add(e.getValue().activity(now, startedAt, end));
        }
        List<GroupLag> groups = groupLags(ends);
        double seconds = now / 1000.0;
        samplesPerSecond.add(seconds, counters.get(topics.samples().name()).perSecond(now, startedAt));
        pairsPerSecond.add(seconds, counters.get(topics.pairs().name()).perSecond(now, startedAt));
        totalLag.add(seconds, groups.stream().mapToLong(GroupLag::lag).sum());
        Stages stages = new Stages(generatorVersion, scorerVersion, pairsVersion, announcedVersion,
                evaluations.isEmpty() ? null : evaluations.lastKey());
        LoopState.History history = new LoopState.History(samplesPerSecond.points(), pairsPerSecond.points(),
                totalLag.points(), learnerLoss.points(), learnerRewardAccuracy.points());
        return new LoopState(now, policy, activity, groups, stages, learner, List.copyOf(evaluations.values()),
                history, deadLetter);
    }

    /** Assigns the odpo topics that exist and are not yet assigned (a topic may be created after the start). */
    private void assignNewTopics() {
        if (assignedTopics.size() == counters.size()) {
            return;   // every topic is assigned: nothing to look up
        }
        List<TopicPartition> fresh = new ArrayList<>();
        Set<String> history = Set.of(topics.checkpoints().name(), topics.evaluations().name(),
                topics.learnerMetrics().name());
        Map<String, List<PartitionInfo>> existing = consumer.listTopics(Duration.ofSeconds(10));
        for (String name : counters.keySet()) {
            if (!assignedTopics.contains(name) && existing.containsKey(name)) {
                existing.get(name).forEach(p -> fresh.add(new TopicPartition(name, p.partition())));
                assignedTopics.add(name);
            }
        }
        if (fresh.isEmpty()) {
            return;
        }
        List<TopicPartition> all = new ArrayList<>(consumer.assignment());
        all.addAll(fresh);
        consumer.assign(all);
        Map<TopicPartition, Long> ends = consumer.endOffsets(fresh, Duration.ofSeconds(10));
        Map<TopicPartition, Long> begins = consumer.beginningOffsets(fresh, Duration.ofSeconds(10));
        for (TopicPartition tp : fresh) {
            // History topics from the beginning; traffic topics from their newest records (for the versions).
            long from = history.contains(tp.topic()) ? begins.get(tp)
                    : Math.max(begins.get(tp), ends.get(tp) - TAIL_RECORDS);
            consumer.seek(tp, from);
        }
    }

    private void accept(ConsumerRecord<byte[], byte[]> r) {
        TopicCounter counter = counters.get(r.topic());
        if (r.timestamp() >= startedAt) {
            counter.count(clock.getAsLong());
        }
        if (r.value() == null) {
            return;
        }
        String t = r.topic();
        if (t.equals(topics.samples().name())) {
            Sample s = decode(topics.samples(), r);
            if (s != null && matches(s.getPolicyName())) {
                generatorVersion = max(generatorVersion, s.getPolicyVersion());
            }
        } else if (t.equals(topics.scores().name())) {
            Score s = decode(topics.scores(), r);
            if (s != null) {
                scorerVersion = max(scorerVersion, s.getPolicyVersion());
            }
        } else if (t.equals(topics.pairs().name())) {
            PreferencePair p = decode(topics.pairs(), r);
            if (p != null) {
                pairsVersion = max(pairsVersion, Math.max(p.getChosenPolicyVersion(), p.getRejectedPolicyVersion()));
            }
        } else if (t.equals(topics.checkpoints().name())) {
            CheckpointAnnouncement a = decode(topics.checkpoints(), r);
            if (a != null && matches(a.getPolicyName())) {
                announcedVersion = max(announcedVersion, a.getVersion());
            }
        } else if (t.equals(topics.evaluations().name())) {
            EvalReport e = decode(topics.evaluations(), r);
            if (e != null && matches(e.getPolicyName())) {
                evaluations.put(e.getPolicyVersion(), evaluation(e));
                while (evaluations.size() > MAX_VERSIONS) {
                    evaluations.pollFirstEntry();
                }
            }
        } else if (t.equals(topics.learnerMetrics().name())) {
            LearnerMetrics m = decode(topics.learnerMetrics(), r);
            if (m != null && matches(m.getPolicyName())) {
                learner = learner(m);
                learnerLoss.add(m.getStep(), m.getLoss());
                learnerRewardAccuracy.add(m.getStep(), m.getRewardAccuracy());
            }
        } else if (t.equals(topics.deadLetters().name()) && r.timestamp() >= startedAt) {
            DeadLetter d = decode(topics.deadLetters(), r);
            if (d != null) {
                deadLetter = new DeadLetterSeen(d.getService(), d.getSourceTopic(), d.getReason(), r.timestamp());
            }
        }
    }

    private boolean matches(String name) {
        return policy == null || policy.equals(name);
    }

    private static Long max(Long current, long seen) {
        return current == null ? seen : Math.max(current, seen);
    }

    private static <V> V decode(Topic<String, V> topic, ConsumerRecord<byte[], byte[]> r) {
        try {
            return topic.value(r);
        } catch (RuntimeException e) {
            return null;   // a monitor skips what it cannot read; the services dead-letter it
        }
    }

    private static Evaluation evaluation(EvalReport e) {
        Map<String, Double> m = e.getMetrics();
        Double pairs = m.get(EvalFigures.PAIRS_TRAINED);
        return new Evaluation(e.getPolicyName(), e.getPolicyVersion(), pairs == null ? null : pairs.longValue(),
                e.getGoldReward(), e.getAccuracy(),
                m.get(EvalFigures.GREEDY_ACCURACY), e.getKlToReference(), e.getObjective(), e.getProxyReward(),
                e.getMeanResponseTokens(), m.get(EvalFigures.WIN_RATE));
    }

    private static Learner learner(LearnerMetrics m) {
        Map<String, Double> extra = m.getMetrics();
        return new Learner(m.getPolicyName(), m.getPolicyVersion(), m.getStep(), m.getLossType(), m.getBeta(),
                m.getLoss(), m.getRewardAccuracy(), m.getRewardMargin(), m.getStalenessMean(), m.getStalenessMax(),
                m.getLearningRate(), extra.get("pairs_per_second"), extra.get("kl_estimate"));
    }

    private Map<TopicPartition, Long> endOffsets() {
        return consumer.assignment().isEmpty() ? Map.of()
                : consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(10));
    }

    /** The lag of every consumer group with offsets committed on odpo topics, largest first. */
    private List<GroupLag> groupLags(Map<TopicPartition, Long> ends) {
        List<GroupLag> lags = new ArrayList<>();
        try {
            // every group's committed offsets in one request, not one request per group
            Map<String, ListConsumerGroupOffsetsSpec> specs = new HashMap<>();
            for (ConsumerGroupListing g : admin.listConsumerGroups().all().get(10, TimeUnit.SECONDS)) {
                specs.put(g.groupId(), new ListConsumerGroupOffsetsSpec());
            }
            if (specs.isEmpty()) {
                return List.of();
            }
            Map<String, Map<TopicPartition, OffsetAndMetadata>> all = admin.listConsumerGroupOffsets(specs).all()
                    .get(10, TimeUnit.SECONDS);
            for (Map.Entry<String, Map<TopicPartition, OffsetAndMetadata>> g : all.entrySet()) {
                long lag = 0;
                TreeSet<String> read = new TreeSet<>();
                for (Map.Entry<TopicPartition, OffsetAndMetadata> c : g.getValue().entrySet()) {
                    TopicCounter counter = counters.get(c.getKey().topic());
                    Long end = ends.get(c.getKey());
                    if (counter == null || c.getValue() == null) {
                        continue;   // not an odpo topic (e.g. a Streams changelog)
                    }
                    read.add(counter.shortName);
                    lag += end == null ? 0 : Math.max(0, end - c.getValue().offset());
                }
                if (!read.isEmpty()) {
                    lags.add(new GroupLag(g.getKey(), List.copyOf(read), lag));
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            return List.of();   // the broker is busy or restarting: no lag this time, the next tick retries
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
        lags.sort((a, b) -> a.group().compareTo(b.group()));
        return lags;
    }

    private String shortName(Topic<?, ?> t) {
        return t.name().substring(topics.prefix().length());
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
        admin.close(Duration.ofSeconds(5));
    }

    /** Counts one topic's records and their rate over the last {@link #RATE_WINDOW_MILLIS}. */
    private static final class TopicCounter {
        private final String shortName;
        private final ArrayDeque<long[]> buckets = new ArrayDeque<>();   // {second, records}
        private long events;

        TopicCounter(String shortName) {
            this.shortName = shortName;
        }

        void count(long now) {
            events++;
            long second = now / 1000;
            if (buckets.isEmpty() || buckets.peekLast()[0] != second) {
                buckets.addLast(new long[] {second, 0});
            }
            buckets.peekLast()[1]++;
        }

        /** Records a second over the rate window, or over the time since the start when that is shorter. */
        double perSecond(long now, long startedAt) {
            long oldest = (now - RATE_WINDOW_MILLIS) / 1000;
            while (!buckets.isEmpty() && buckets.peekFirst()[0] <= oldest) {
                buckets.pollFirst();
            }
            long n = 0;
            for (long[] b : buckets) {
                n += b[1];
            }
            double seconds = Math.max(1.0, Math.min(RATE_WINDOW_MILLIS, now - startedAt) / 1000.0);
            return n / seconds;
        }

        TopicActivity activity(long now, long startedAt, long endOffset) {
            return new TopicActivity(shortName, events, perSecond(now, startedAt), endOffset);
        }
    }
}

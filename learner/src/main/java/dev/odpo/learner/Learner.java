package dev.odpo.learner;

import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.LearnerMetrics;
import dev.odpo.kafka.DeadLetters;
import dev.odpo.kafka.Service;
import dev.odpo.kafka.Topics;
import dev.odpo.model.DpoTrainer;
import dev.odpo.model.EncodedPair;
import dev.odpo.model.TrainingStep;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.CheckpointStore;
import dev.odpo.policy.LocalCheckpointStore;
import dev.odpo.policy.Snapshot;
import dev.odpo.policy.SnapshotException;
import dev.odpo.registry.serde.RegistryUnavailableException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the learner's loop: consumes preference pairs, trains the policy with DPO, and publishes snapshots
 * exactly once.
 *
 * <p>It starts from the newest announced version of its policy name (waiting until one is announced),
 * with the optimizer state and duplicate window that snapshot carries, and consumes every partition of the
 * pairs topic from its group's committed offsets. A snapshot is written through the {@link CheckpointStore}
 * first; then ONE Kafka transaction carries its {@code CheckpointAnnouncement}, a {@code LearnerMetrics}
 * record and the offsets of every pair trained into it (and of the pairs skipped or dead-lettered on the
 * way). Offsets are never committed past a pair that is not in an announced snapshot, so after a crash —
 * whenever it happens — the restarted learner resumes from the newest announcement and its offsets: no pair
 * is lost or trained twice along the announced line of versions, and nothing is announced that was not
 * fully written. The transactional id is per policy name: a second learner of the same name fences the first.
 */
public final class Learner implements Service {

    private static final Logger log = LoggerFactory.getLogger(Learner.class);
    static final String SERVICE = "learner";
    private static final Duration POLL = Duration.ofMillis(200);
    private static final long BOOKKEEPING_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final Duration ANNOUNCEMENT_WAIT = Duration.ofSeconds(2);

    /** A record to dead-letter with the next transaction. */
    private record Rejected(ConsumerRecord<byte[], byte[]> raw, String errorClass, String reason) {}

    private final LearnerConfig config;
    private final LearnerListener listener;
    private final Topics topics;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile KafkaConsumer<byte[], byte[]> consumer;

    // state of the loop, owned by the thread in run()
    private KafkaProducer<byte[], byte[]> producer;
    private CheckpointStore store;
    private TrainedPolicy policy;
    private final ArrayDeque<PairIntake.Buffered> buffer = new ArrayDeque<>();
    private final Set<String> bufferedIds = new HashSet<>();
    private final List<PairIntake.Buffered> inUpdate = new ArrayList<>();
    private final PendingOffsets offsets = new PendingOffsets();
    private final List<Rejected> rejected = new ArrayList<>();
    private final List<String> trainedSinceSnapshot = new ArrayList<>();
    private MetricsWindow window;
    private PairIntake intake;
    private long updatesSinceSnapshot;
    private long lastSnapshotNanos;
    private long lastCommitNanos;
    private long lastPairNanos;
    private long iteration;
    private Map<TopicPartition, OffsetAndMetadata> lastCommitted = Map.of();

    private Learner(LearnerConfig config, LearnerListener listener) {
        this.config = config;
        this.listener = listener;
        this.topics = config.kafka().topics();
    }

    public static Learner create(LearnerConfig config) {
        return new Learner(config, LearnerListener.NONE);
    }

    /** A learner that tells {@code listener} what it does. */
    public static Learner create(LearnerConfig config, LearnerListener listener) {
        return new Learner(config, listener);
    }

    @Override
    public void run() {
        boolean failed = false;
        try {
            store = new LocalCheckpointStore(config.checkpointDir());
            producer = new KafkaProducer<>(config.kafka().transactionalProducer(config.transactionalId(),
                    SERVICE + "-" + config.policyName()));
            // fence any earlier learner of this policy before reading what it announced
            whileKafkaUnavailable("initializing transactions", () -> {
                producer.initTransactions();
                return null;
            });
            List<CheckpointAnnouncement> announced = awaitAnnouncedVersions();
            if (announced.isEmpty()) {
                return;
            }
            policy = resumeNewestThatVerifies(announced);
            intake = new PairIntake(topics.pairs(), config.maxChars(),
                    () -> Math.min(config.maxTokens(), policy.maxPositions()), config::tooStale);
            consumer = new KafkaConsumer<>(config.kafka().readCommittedConsumer(config.groupId(),
                    SERVICE + "-" + config.policyName(), Math.max(50, config.batchSize())));
            List<TopicPartition> partitions = whileKafkaUnavailable("looking up " + topics.pairs().name(),
                    () -> consumer.partitionsFor(topics.pairs().name())).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            log.info("learner: training {} from v{} on {} ({} partitions) with {} (beta {}), reference {}, {} mode",
                    config.policyName(), policy.version(), topics.pairs().name(), partitions.size(),
                    config.dpo().loss().kind().label(), config.dpo().loss().beta(), config.dpo().reference().label(),
                    config.mode().name().toLowerCase(java.util.Locale.ROOT));
            long now = System.nanoTime();
            window = new MetricsWindow(now);
            lastSnapshotNanos = now;
            lastCommitNanos = now;
            lastPairNanos = now;
            loop();
        } catch (WakeupException e) {
            if (running) {
                failed = true;
                throw e;
            }
        } catch (InterruptException e) {
            Thread.currentThread().interrupt();
            log.info("learner: interrupted, stopping");
        } catch (IOException e) {
            failed = true;
            log.error("learner: stopping on an error; training since the last announced snapshot is discarded", e);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            failed = true;
            log.error("learner: stopping on an error; training since the last announced snapshot is discarded", e);
            throw e;
        } finally {
            try {
                if (!failed && policy != null && window != null) {
                    publishOnStop();
                }
            } finally {
                close();
            }
        }
    }

    private void loop() {
        while (running) {
            boolean wanting = buffer.size() < (config.mode() == LearnerConfig.Mode.ONLINE ? config.batchSize()
                    : config.iterationPairs());
            long t0 = System.nanoTime();
            ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
            if (wanting) {
                window.waited(System.nanoTime() - t0);
            }
            take(records);
            if (config.mode() == LearnerConfig.Mode.ONLINE) {
                trainOnline();
                publishIfDue();   // T seconds can pass while no pair arrives
            } else if (buffer.size() >= config.iterationPairs()) {
                trainIteration();
            }
            bookkeep();
        }
    }

    // ---- intake ------------------------------------------------------------------------------------------

    private void take(ConsumerRecords<byte[], byte[]> records) {
        for (TopicPartition tp : records.partitions()) {
            for (ConsumerRecord<byte[], byte[]> raw : records.records(tp)) {
                try {
                    take(tp, raw);
                } catch (RegistryUnavailableException e) {
                    // not the record's fault: consume it (and the rest of its partition) again after a pause
                    log.warn("learner: schema registry unavailable at {}@{} ({}); retrying", tp, raw.offset(),
                            e.getMessage());
                    consumer.seek(tp, raw.offset());
                    pause(Duration.ofSeconds(1));
                    break;
                }
            }
        }
    }

    private void take(TopicPartition tp, ConsumerRecord<byte[], byte[]> raw) {
        PairIntake.Outcome o = intake.take(raw, policy.encoding(), policy.version(),
                id -> policy.recent().contains(id) || bufferedIds.contains(id));
        switch (o.kind()) {
            case REJECTED -> reject(tp, raw, o.errorClass(), o.reason());
            case DUPLICATE -> {
                offsets.seen(tp, raw.offset());
                window.duplicate();
            }
            case STALE -> {
                offsets.seen(tp, raw.offset());
                window.skippedStale();
            }
            case ACCEPTED -> {
                buffer.addLast(o.pair());
                bufferedIds.add(o.pair().pairId());
                offsets.hold(tp, raw.offset());
                lastPairNanos = System.nanoTime();
            }
        }
    }

    private void reject(TopicPartition tp, ConsumerRecord<byte[], byte[]> raw, String errorClass, String reason) {
        log.warn("learner: dead-lettering {}@{}: {}", tp, raw.offset(), reason);
        rejected.add(new Rejected(raw, errorClass, reason));
        offsets.seen(tp, raw.offset());
        window.deadLettered();
    }

    private List<PairIntake.Buffered> takeFromBuffer(int n) {
        List<PairIntake.Buffered> out = new ArrayList<>(n);
        while (out.size() < n && !buffer.isEmpty()) {
            PairIntake.Buffered b = buffer.removeFirst();
            bufferedIds.remove(b.pairId());
            out.add(b);
        }
        return out;
    }

    // ---- training ----------------------------------------------------------------------------------------

    private void trainOnline() {
        boolean lingered = !buffer.isEmpty()
                && System.nanoTime() - lastPairNanos >= config.batchLinger().toNanos();
        while (buffer.size() >= config.batchSize() || (lingered && !buffer.isEmpty())) {
            List<PairIntake.Buffered> batch = takeFromBuffer(config.batchSize());
            DpoTrainer.StepMetrics m = step(batch.stream().map(PairIntake.Buffered::encoded).toList());
            switch (m.status()) {
                case ACCUMULATED -> inUpdate.addAll(batch);
                case UPDATED -> {
                    inUpdate.addAll(batch);
                    applied(inUpdate, m);
                }
                case SKIPPED_LOSS -> dropped(batch);
                case SKIPPED_GRADIENT -> {
                    inUpdate.addAll(batch);
                    dropped(inUpdate);
                }
            }
            if (!publishIfDue()) {
                publishMetricsIfDue(m);
            }
        }
    }

    /** Iterative: E epochs over the gathered pairs (or the replay), seeded order, then publish. */
    private void trainIteration() {
        iteration++;
        List<PairIntake.Buffered> gathered = takeFromBuffer(buffer.size());
        List<EncodedPair> data = new ArrayList<>();
        if (config.replay()) {
            Map<TopicPartition, Long> upTo = new HashMap<>();
            consumer.assignment().forEach(tp -> upTo.put(tp, consumer.position(tp)));
            data.addAll(ReplayReader.read(config.kafka(), topics.pairs(), upTo, policy.encoding(), config.maxChars(),
                    Math.min(config.maxTokens(), policy.maxPositions()), config.replayMaxPairs()));
        } else {
            gathered.forEach(b -> data.add(b.encoded()));
        }
        log.info("learner: iteration {}: {} new pairs, training {} epochs on {} pairs from v{}", iteration,
                gathered.size(), config.epochs(), data.size(), policy.version());
        long updatesBefore = policy.dpo().training().updates();
        Random order = new Random(config.seed() * 1_000_003L + iteration);
        DpoTrainer.StepMetrics last = null;
        for (int epoch = 0; epoch < config.epochs() && running; epoch++) {
            Collections.shuffle(data, order);
            for (int from = 0; from < data.size() && running; from += config.batchSize()) {
                last = step(data.subList(from, Math.min(data.size(), from + config.batchSize())));
                if (last.status() == TrainingStep.Status.UPDATED) {
                    updatesSinceSnapshot++;
                    listener.updated(policy.dpo().training().updates(), last);
                }
            }
        }
        TrainingStep.Outcome flushed = policy.dpo().training().flush();
        if (flushed != null && flushed.status() == TrainingStep.Status.UPDATED) {
            updatesSinceSnapshot++;
        }
        if (!running && updatesSinceSnapshot > 0) {
            // stopped mid-iteration: the iteration is discarded, its pairs are consumed again after a restart
            return;
        }
        if (policy.dpo().training().updates() > updatesBefore) {
            gathered.forEach(this::trainedOne);
            publish();
        } else {
            dropped(gathered);
        }
    }

    private DpoTrainer.StepMetrics step(List<EncodedPair> pairs) {
        long t = System.nanoTime();
        DpoTrainer.StepMetrics m = policy.dpo().step(pairs);
        window.minibatch(m, System.nanoTime() - t);
        return m;
    }

    /** The update of these pairs was applied: they are in the model now. */
    private void applied(List<PairIntake.Buffered> pairs, DpoTrainer.StepMetrics m) {
        pairs.forEach(this::trainedOne);
        pairs.clear();
        updatesSinceSnapshot++;
        listener.updated(policy.dpo().training().updates(), m);
    }

    private void trainedOne(PairIntake.Buffered b) {
        policy.trained(b.pairId());
        trainedSinceSnapshot.add(b.lineage());
        window.trained(b.staleness());
        offsets.release(b.partition(), b.offset());
    }

    /** A non-finite loss or gradient: these pairs are consumed but not trained. */
    private void dropped(List<PairIntake.Buffered> pairs) {
        log.warn("learner: skipped {} pairs: non-finite loss or gradient", pairs.size());
        window.skippedNonFinite(pairs.size());
        pairs.forEach(b -> offsets.release(b.partition(), b.offset()));
        pairs.clear();
    }

    // ---- publishing --------------------------------------------------------------------------------------

    /** Online: publish after K updates or T seconds, at an update boundary. Returns whether it published. */
    private boolean publishIfDue() {
        if (updatesSinceSnapshot == 0 || !inUpdate.isEmpty()) {
            return false;
        }
        boolean bySteps = updatesSinceSnapshot >= config.snapshotSteps();
        boolean byTime = !config.snapshotEvery().isZero()
                && System.nanoTime() - lastSnapshotNanos >= config.snapshotEvery().toNanos();
        if (bySteps || byTime) {
            publish();
            return true;
        }
        return false;
    }

    /**
     * Writes the snapshot, then announces it with its metrics and the consumed offsets in one transaction.
     * Weights that are not finite are never published: the learner stops instead, and its restart goes on from
     * the last good version.
     */
    private void publish() {
        List<String> bad = LearnerSnapshot.nonFiniteWeights(policy.dpo().policy());
        if (!bad.isEmpty()) {
            throw new IllegalStateException("refusing to publish " + config.policyName() + " v" + (policy.version() + 1)
                    + ": non-finite weights in " + bad);
        }
        long started = System.nanoTime();
        long version = policy.version() + 1;
        long updates = policy.dpo().training().updates();
        List<String> lineage = List.copyOf(trainedSinceSnapshot);
        Snapshot snapshot;
        try {
            snapshot = store.publish(new CheckpointStore.Request(config.policyName(), version, policy.version(),
                    policy.referenceVersion(), updates, policy.pairsTrained(),
                    dir -> LearnerSnapshot.write(dir, policy.dpo(), policy.companions(), policy.pairsTrained(),
                            policy.version(), policy.recent(), lineage)));
        } catch (IOException e) {
            throw new UncheckedIOException("could not write snapshot v" + version, e);
        }
        long written = System.nanoTime();
        listener.snapshotWritten(snapshot, policy.dpo().policy());
        CheckpointAnnouncement announcement = Announcements.of(snapshot, policy.referenceUri(), config.transactionalId());
        LearnerMetrics metrics = window.toRecord(config.policyName(), version, updates, config.dpo().loss(),
                System.nanoTime());
        commit(List.of(Announcements.record(topics.checkpoints(), announcement), metricsRecord(metrics)));
        listener.announced(announcement);
        log.info("learner: published {} v{} (parent v{}, reference v{}): {} updates, {} pairs ({} since v{}), loss {}, "
                        + "reward accuracy {}, margin {}, {} pairs/s; written in {} ms, announced in {} ms",
                config.policyName(), version, policy.version(), policy.referenceVersion(), updates,
                policy.pairsTrained(), lineage.size(), policy.version(), fmt(metrics.getLoss()),
                fmt(metrics.getRewardAccuracy()), fmt(metrics.getRewardMargin()),
                fmt(metrics.getMetrics().get("pairs_per_second")), (written - started) / 1_000_000,
                (System.nanoTime() - written) / 1_000_000);
        policy.published(snapshot);
        trainedSinceSnapshot.clear();
        updatesSinceSnapshot = 0;
        lastSnapshotNanos = System.nanoTime();
        try {
            store.retain(config.policyName(), config.keepSnapshots(), new HashSet<>(List.of(policy.referenceVersion(), version)));
        } catch (IOException e) {
            log.warn("learner: retention of old snapshots failed: {}", e.toString());
        }
    }

    private void publishMetricsIfDue(DpoTrainer.StepMetrics m) {
        if (m.status() == TrainingStep.Status.UPDATED
                && policy.dpo().training().updates() % config.metricsEvery() == 0) {
            LearnerMetrics metrics = window.toRecord(config.policyName(), policy.version() + 1,
                    policy.dpo().training().updates(), config.dpo().loss(), System.nanoTime());
            producer.beginTransaction();
            try {
                producer.send(metricsRecord(metrics));
                producer.commitTransaction();
            } catch (KafkaException e) {
                abortQuietly();
                throw e;
            }
            log.info("learner: step {}: loss {}, reward accuracy {}, margin {}, kl {}, {} pairs/s, wait {}",
                    metrics.getStep(), fmt(metrics.getLoss()), fmt(metrics.getRewardAccuracy()),
                    fmt(metrics.getRewardMargin()), fmt(metrics.getMetrics().get("kl_estimate")),
                    fmt(metrics.getMetrics().get("pairs_per_second")), fmt(metrics.getMetrics().get("wait_share")));
        }
    }

    /**
     * While the model equals the last announced snapshot (no update since), the offsets of skipped and
     * dead-lettered pairs may be committed on their own, with their dead letters.
     */
    private void bookkeep() {
        if (updatesSinceSnapshot > 0 || !inUpdate.isEmpty()
                || System.nanoTime() - lastCommitNanos < BOOKKEEPING_NANOS) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> now = offsets.committable();
        if (!rejected.isEmpty() || !now.equals(lastCommitted)) {
            commit(List.of());
        }
        lastCommitNanos = System.nanoTime();
    }

    /** One transaction: the records, the pending dead letters and the committable offsets. */
    private void commit(List<ProducerRecord<byte[], byte[]>> records) {
        Map<TopicPartition, OffsetAndMetadata> committable = offsets.committable();
        producer.beginTransaction();
        try {
            records.forEach(producer::send);
            DeadLetters deadLetters = new DeadLetters(SERVICE, topics.deadLetters(), producer);
            rejected.forEach(r -> deadLetters.send(r.raw(), r.errorClass(), r.reason()));
            if (!committable.isEmpty()) {
                producer.sendOffsetsToTransaction(committable, consumer.groupMetadata());
            }
            producer.commitTransaction();
        } catch (KafkaException e) {
            abortQuietly();
            throw e;
        }
        rejected.clear();
        lastCommitted = committable;
        lastCommitNanos = System.nanoTime();
    }

    private ProducerRecord<byte[], byte[]> metricsRecord(LearnerMetrics m) {
        return topics.learnerMetrics().record(m.getPolicyName(), m);
    }

    /**
     * On a clean stop, what was trained online since the last snapshot is published rather than trained again.
     * An iteration cut short is discarded instead: its pairs are consumed again after a restart.
     */
    private void publishOnStop() {
        if (config.mode() == LearnerConfig.Mode.ONLINE && updatesSinceSnapshot > 0 && inUpdate.isEmpty()
                && consumer != null) {
            log.info("learner: stopping; publishing the {} updates since v{}", updatesSinceSnapshot, policy.version());
            publish();
        }
    }

    private void abortQuietly() {
        try {
            producer.abortTransaction();
        } catch (KafkaException e) {
            log.warn("learner: could not abort the transaction: {}", e.toString());
        }
    }

    /**
     * Resumes from the newest announced version whose snapshot verifies. An announcement whose snapshot is
     * missing, tampered with or outside the store (a forged announcement, a damaged disk) is refused with its
     * reason and the next older version tried, so one bad announcement cannot keep the learner from starting.
     */
    private TrainedPolicy resumeNewestThatVerifies(List<CheckpointAnnouncement> newestFirst) throws IOException {
        SnapshotException last = null;
        for (CheckpointAnnouncement a : newestFirst) {
            try {
                TrainedPolicy resumed = TrainedPolicy.resume(a, store, config);
                if (last != null) {
                    log.warn("learner: resumed from v{}, the newest version of '{}' that verifies; if a refused "
                            + "version was announced by this learner, the pairs trained into it are not in this model",
                            a.getVersion(), config.policyName());
                }
                return resumed;
            } catch (SnapshotException e) {
                log.error("learner: refusing {} v{} to resume from: {}", config.policyName(), a.getVersion(), e.getMessage());
                last = e;
            }
        }
        throw new SnapshotException(config.policyName(), "no announced version of the policy verifies (the newest "
                + "refused: " + last.getMessage() + ")");
    }

    /** Every announced version of the policy, newest first; waits while there is none. */
    private List<CheckpointAnnouncement> awaitAnnouncedVersions() {
        boolean told = false;
        while (running) {
            List<CheckpointAnnouncement> a;
            try {
                a = Announcements.versions(Announcements.readAll(config.kafka(), Duration.ofSeconds(30)),
                        config.policyName());
            } catch (RegistryUnavailableException e) {
                log.warn("learner: schema registry unavailable while reading {} ({}); will retry",
                        topics.checkpoints().name(), e.getMessage());
                pause(ANNOUNCEMENT_WAIT);
                continue;
            } catch (RetriableException e) {
                log.warn("learner: Kafka did not answer while reading {} ({}); will retry",
                        topics.checkpoints().name(), e.getMessage());
                pause(ANNOUNCEMENT_WAIT);
                continue;
            }
            if (!a.isEmpty()) {
                return a;
            }
            if (!told) {
                log.info("learner: no version of policy '{}' is announced on {} yet; waiting. Publish the starting "
                        + "policy (pi0) as version 0 of '{}' to begin.", config.policyName(),
                        topics.checkpoints().name(), config.policyName());
                told = true;
            }
            pause(ANNOUNCEMENT_WAIT);
        }
        return List.of();
    }

    /**
     * Runs a start-up step, again while Kafka does not answer (a broker restarting): each step is safe to
     * repeat, and a learner started during a broker restart goes on once the broker is back.
     */
    private <T> T whileKafkaUnavailable(String what, java.util.function.Supplier<T> step) {
        while (true) {
            try {
                return step.get();
            } catch (RetriableException e) {
                if (!running) {
                    throw e;
                }
                log.warn("learner: Kafka did not answer while {} ({}); will retry", what, e.getMessage());
                pause(ANNOUNCEMENT_WAIT);
            }
        }
    }

    private void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private static String fmt(Double d) {
        return d == null ? "-" : String.format(java.util.Locale.ROOT, "%.4g", d);
    }

    private void close() {
        try {
            if (consumer != null) {
                consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
            }
            if (producer != null) {
                producer.close(Duration.ofSeconds(5));
            }
            if (policy != null) {
                policy.close();
            }
        } finally {
            log.info("learner: stopped");
            stopped.countDown();
        }
    }

    @Override
    public void stop() {
        running = false;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    @Override
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}

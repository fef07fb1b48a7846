package dev.odpo.policy;

import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.kafka.DeadLetters;
import dev.odpo.kafka.ReadToEnd;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.registry.serde.RegistryUnavailableException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows one policy name on the compacted {@code checkpoints} topic and keeps a newer version ready for its
 * caller. A background thread reads the topic from the beginning; for each announcement of a newer version
 * it opens the snapshot through the {@link CheckpointStore} (which verifies every file a server loads — all
 * but the trainer's own state — and the manifest's hash against the announcement's) and loads it with the caller's {@link Loader} — all off the serving
 * thread. The caller swaps between batches with {@link #takeNewer()}, never during a decode, and closes what
 * it replaced.
 *
 * <p>On start it first catches up: of everything already announced it loads only the newest version that
 * verifies, so a restarted service picks up the live version without loading every old one. A snapshot that
 * is missing, truncated, tampered with or outside the store is refused: the reason is logged and the
 * announcement goes to the dead-letter topic; whatever was serving keeps serving. Older and duplicate
 * announcements are skipped.
 *
 * @param <T> what a snapshot is loaded into: a {@link Policy}, a policy with its reference, a reward model
 */
public final class CheckpointFollower<T extends AutoCloseable> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CheckpointFollower.class);
    private static final Duration REGISTRY_RETRY = Duration.ofSeconds(1);

    /** Loads a verified snapshot; runs on the follower's thread. */
    @FunctionalInterface
    public interface Loader<T> {
        T load(Snapshot snapshot, CheckpointAnnouncement announcement) throws IOException;
    }

    /**
     * A loaded version, ready to serve.
     *
     * @param value        what the loader returned
     * @param announcement the announcement it answers
     * @param snapshot     the verified snapshot it was loaded from
     * @param latency      from the snapshot's creation (the announcement's created_at) to ready
     */
    public record Ready<T>(T value, CheckpointAnnouncement announcement, Snapshot snapshot, Duration latency) {
        public long version() {
            return announcement.getVersion();
        }
    }

    private final String service;
    private final String policyName;
    private final Consumer<byte[], byte[]> consumer;
    private final Topic<String, CheckpointAnnouncement> topic;
    private final CheckpointStore store;
    private final Loader<T> loader;
    private final DeadLetters deadLetters;
    private final Clock clock;

    private final AtomicReference<Ready<T>> pending = new AtomicReference<>();
    private final AtomicLong highestAccepted = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong adopted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile String lastRefusal;
    private volatile Throwable failure;
    private Thread thread;

    public CheckpointFollower(String service, String policyName, Consumer<byte[], byte[]> consumer,
                              Topic<String, CheckpointAnnouncement> topic, CheckpointStore store, Loader<T> loader,
                              DeadLetters deadLetters, Clock clock) {
        this.service = service;
        this.policyName = PolicyNames.require(policyName);
        this.consumer = consumer;
        this.topic = topic;
        this.store = store;
        this.loader = loader;
        this.deadLetters = deadLetters;
        this.clock = clock;
    }

    /** A follower with its own consumer (no group) and dead-letter publisher, closed with it. */
    public static <T extends AutoCloseable> CheckpointFollower<T> create(String service, String policyName,
                                                                       KafkaSettings kafka, CheckpointStore store,
                                                                       Loader<T> loader) {
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                kafka.rawConsumer("unused", service + "-checkpoints-" + policyName));
        DeadLetters deadLetters = DeadLetters.create(service, kafka.topics(), kafka);
        return new CheckpointFollower<>(service, policyName, consumer, kafka.topics().checkpoints(), store, loader,
                deadLetters, Clock.systemUTC());
    }

    /** Starts following on a daemon thread. */
    public synchronized CheckpointFollower<T> start() {
        if (thread == null) {
            thread = new Thread(this::follow, service + "-follow-" + policyName);
            thread.setDaemon(true);
            thread.start();
        }
        return this;
    }

    /**
     * The newest loaded version not yet taken, if it is newer than what the caller has; the caller now owns
     * it (and closes the one it replaces).
     */
    public Optional<Ready<T>> takeNewer() {
        return Optional.ofNullable(pending.getAndSet(null));
    }

    /**
     * Waits for the first version, logging (at once, then every 30 s) that none is announced yet. Returns
     * empty when the timeout passes or the follower stops first.
     */
    public Optional<Ready<T>> awaitFirst(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long nextLog = System.nanoTime();
        while (System.nanoTime() < deadline && running) {
            Ready<T> r = pending.getAndSet(null);
            if (r != null) {
                return Optional.of(r);
            }
            if (failure != null) {
                throw new IllegalStateException("following " + topic.name() + " failed: " + failure.getMessage(), failure);
            }
            if (System.nanoTime() >= nextLog && caughtUp.getCount() == 0) {
                log.info("{}: waiting for a version of policy '{}' to be announced on {} (an operator starts a loop "
                        + "with 'odpo checkpoints publish --model DIR --policy {}')", service, policyName, topic.name(),
                        policyName);
                nextLog = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            }
            Thread.sleep(100);
        }
        return Optional.empty();
    }

    /** True once everything announced before the start has been read (and the newest loaded, if any). */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Versions handed over or ready so far. */
    public long adoptedCount() {
        return adopted.get();
    }

    /** Announcements refused (snapshot missing, corrupt or outside the store). */
    public long refusedCount() {
        return refused.get();
    }

    /** Why the last refused announcement was refused, or null. */
    public String lastRefusal() {
        return lastRefusal;
    }

    public String policyName() {
        return policyName;
    }

    private void follow() {
        try {
            List<TopicPartition> partitions = ReadToEnd.partitions(consumer, topic.name(), Duration.ofSeconds(30));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            // catch up: remember the last announcement of each version, then load only the newest that verifies
            TreeMap<Long, ConsumerRecord<byte[], byte[]>> backlog = new TreeMap<>();
            while (running && !ReadToEnd.caughtUp(consumer, end)) {
                pollEach(Duration.ofMillis(200), r -> Announcements.decode(topic, r)
                        .filter(a -> a.getPolicyName().equals(policyName))
                        .ifPresent(a -> backlog.put(a.getVersion(), r)));
            }
            for (Long v : new ArrayList<>(backlog.descendingKeySet())) {
                if (consider(backlog.get(v))) {
                    break;
                }
            }
            caughtUp.countDown();
            log.info("{}: following policy '{}' on {} ({} version(s) announced so far{})", service, policyName,
                    topic.name(), backlog.size(), highestAccepted.get() == Long.MIN_VALUE ? ""
                            : ", newest usable v" + highestAccepted.get());
            while (running) {
                pollEach(Duration.ofMillis(500), this::consider);
            }
        } catch (WakeupException | InterruptException e) {
            if (running) {
                failure = e;
            }
        } catch (RuntimeException e) {
            failure = e;
            log.error("{}: following {} failed; the current policy keeps serving but no new version will be adopted",
                    service, topic.name(), e);
        } finally {
            caughtUp.countDown();
            stopped.countDown();
        }
    }

    /**
     * Polls once and hands each record to {@code each}, in order. While the schema registry does not answer,
     * the record that needed it and those after it are rewound and polled again after a pause: an announcement
     * is never skipped because of an outage.
     */
    private void pollEach(Duration timeout, java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
        ConsumerRecords<byte[], byte[]> polled = consumer.poll(timeout);
        Map<TopicPartition, Long> rewind = new HashMap<>();
        for (TopicPartition tp : polled.partitions()) {
            for (ConsumerRecord<byte[], byte[]> r : polled.records(tp)) {
                if (!rewind.isEmpty()) {
                    rewind.put(tp, r.offset());
                    break;
                }
                try {
                    each.accept(r);
                } catch (RegistryUnavailableException e) {
                    log.warn("{}: schema registry unavailable while reading {}[{}]@{} ({}); will retry", service,
                            r.topic(), r.partition(), r.offset(), e.getMessage());
                    rewind.put(tp, r.offset());
                    break;
                }
            }
        }
        if (!rewind.isEmpty()) {
            rewind.forEach(consumer::seek);
            try {
                Thread.sleep(REGISTRY_RETRY.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptException(e);
            }
        }
    }

    /** Loads the announced version when it is newer; true when it became the pending version. */
    private boolean consider(ConsumerRecord<byte[], byte[]> record) {
        Optional<CheckpointAnnouncement> decoded = Announcements.decode(topic, record);
        if (decoded.isEmpty() || !decoded.get().getPolicyName().equals(policyName)) {
            return false;
        }
        CheckpointAnnouncement a = decoded.get();
        if (a.getVersion() <= highestAccepted.get()) {
            log.debug("{}: skipping {} v{} (v{} already adopted)", service, policyName, a.getVersion(), highestAccepted.get());
            return false;
        }
        long t0 = System.nanoTime();
        T value;
        Snapshot snapshot;
        try {
            snapshot = Announcements.open(store, a, Snapshot.SERVED_FILES);
            value = loader.load(snapshot, a);
        } catch (IOException | RuntimeException e) {
            refuse(record, a, e);
            return false;
        }
        Duration latency = Duration.between(a.getCreatedAt(), clock.instant());
        Ready<T> ready = new Ready<>(value, a, snapshot, latency);
        highestAccepted.set(a.getVersion());
        adopted.incrementAndGet();
        Ready<T> replaced = pending.getAndSet(ready);
        if (replaced != null) {
            closeQuietly(replaced.value());
            log.info("{}: {} v{} superseded by v{} before it was taken", service, policyName, replaced.version(),
                    a.getVersion());
        }
        log.info("{}: {} v{} verified and loaded in {} ms ({} ms after it was written)", service, policyName,
                a.getVersion(), (System.nanoTime() - t0) / 1_000_000, latency.toMillis());
        return true;
    }

    private void refuse(ConsumerRecord<byte[], byte[]> record, CheckpointAnnouncement a, Exception e) {
        refused.incrementAndGet();
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        lastRefusal = reason;
        log.error("{}: refusing {} v{}: {}; the current policy keeps serving", service, policyName, a.getVersion(), reason);
        try {
            deadLetters.send(record, DeadLetters.errorClass(e), reason);
            deadLetters.flush();
        } catch (RuntimeException dl) {
            log.warn("{}: could not dead-letter the refused announcement: {}", service, dl.toString());
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            log.warn("closing a superseded version failed: {}", e.toString());
        }
    }

    /** Stops following; closes a loaded version nobody took, the consumer and the dead-letter publisher. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            if (thread != null && !stopped.await(10, TimeUnit.SECONDS)) {
                log.warn("{}: follower thread did not stop within 10 s", service);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Ready<T> left = pending.getAndSet(null);
        if (left != null) {
            closeQuietly(left.value());
        }
        consumer.close();
        deadLetters.close();
    }
}

package dev.odpo.kafka;

import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.registry.serde.RegistryUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes one topic as raw bytes, decodes each record with the topic's serdes, validates it and hands the
 * valid ones to the service — one at a time ({@link Handler}) or a poll's worth at once ({@link BatchHandler}).
 * A record that cannot be decoded, fails validation or makes the handler throw goes to the dead-letter topic
 * and the loop keeps going: bad input never stops a service.
 *
 * <p>Each poll is a batch, at most {@code max.poll.records} long, made durable as a whole by its
 * {@link Delivery}: at least once ({@link #forService}: offsets are committed once the batch's dead letters
 * are acknowledged; a crash re-delivers the uncommitted batch) or exactly once ({@link #exactlyOnce}: the
 * batch's outputs, dead letters and offsets in one Kafka transaction; a failed transaction is aborted and the
 * batch consumed again). If the loop cannot make a batch durable (a dead letter cannot be written, the
 * producer was fenced), it stops with that error and commits nothing past it, so the records are consumed
 * again after a restart instead of being lost. A schema-registry outage is nobody's record's fault: the
 * records that need the registry are rewound and retried with a growing pause, never dead-lettered.
 *
 * <p>{@link #stop()} — called from the shutdown hook that {@link Service#installShutdownHook(String)}
 * registers — lets the batch in hand finish, wakes the consumer, closes the clients, and {@link #run()} returns.
 */
public final class ConsumerLoop<K, V> implements Service {

    private static final Logger log = LoggerFactory.getLogger(ConsumerLoop.class);
    private static final Duration MAX_RETRY_BACKOFF = Duration.ofSeconds(30);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);

    /** The service's work on one valid record. Throw {@link InvalidRecordException} to dead-letter it. */
    @FunctionalInterface
    public interface Handler<K, V> {
        void handle(ConsumerRecord<K, V> record);
    }

    private final String service;
    private final Topic<K, V> topic;
    private final Consumer<byte[], byte[]> consumer;
    private final Delivery delivery;
    private final RecordCheck<K, V> check;
    private final BatchHandler<K, V> handler;
    /** Whether each record gets its own handler call (a {@link Handler}) rather than the batch one call. */
    private final boolean oneAtATime;
    private final Duration pollTimeout;

    private volatile boolean running = true;
    private volatile Runnable beforeEachBatch = () -> { };
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicLong consumed = new AtomicLong();
    private final AtomicLong handled = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong pollNanos = new AtomicLong();
    private volatile long startedNanos;
    private final List<AutoCloseable> closeWithLoop = new CopyOnWriteArrayList<>();
    private long lastProgressLog = System.nanoTime();
    private Duration retryBackoff = Duration.ZERO;

    public ConsumerLoop(String service, Topic<K, V> topic, Consumer<byte[], byte[]> consumer, DeadLetters deadLetters,
                        RecordCheck<K, V> check, Handler<K, V> handler) {
        this(service, topic, consumer, deadLetters, check, handler, POLL_TIMEOUT);
    }

    /** An at-least-once loop handling one record at a time; the caller closes the consumer's dead letters. */
    public ConsumerLoop(String service, Topic<K, V> topic, Consumer<byte[], byte[]> consumer, DeadLetters deadLetters,
                        RecordCheck<K, V> check, Handler<K, V> handler, Duration pollTimeout) {
        this(service, topic, consumer, new AtLeastOnceDelivery(deadLetters), check,
                (records, out) -> handler.handle(records.get(0)), true, pollTimeout);
    }

    ConsumerLoop(String service, Topic<K, V> topic, Consumer<byte[], byte[]> consumer, Delivery delivery,
                 RecordCheck<K, V> check, BatchHandler<K, V> handler, boolean oneAtATime, Duration pollTimeout) {
        this.service = Objects.requireNonNull(service, "service");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.delivery = Objects.requireNonNull(delivery, "delivery");
        this.check = Objects.requireNonNull(check, "check");
        this.handler = Objects.requireNonNull(handler, "handler");
        this.oneAtATime = oneAtATime;
        this.pollTimeout = Objects.requireNonNull(pollTimeout, "pollTimeout");
    }

    /**
     * A service's at-least-once loop over one topic, one record at a time, with everything it owns: a
     * consumer in {@code groupId} and a dead-letter publisher, both closed when the loop stops.
     */
    public static <K, V> ConsumerLoop<K, V> forService(String service, KafkaSettings kafka, Topic<K, V> topic,
                                                       String groupId, RecordCheck<K, V> check, Handler<K, V> handler) {
        DeadLetters deadLetters = DeadLetters.create(service, kafka.topics(), kafka);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.rawConsumer(groupId, service));
        return new ConsumerLoop<>(service, topic, consumer, deadLetters, check, handler).closeWhenStopped(deadLetters);
    }

    /**
     * A service's exactly-once consume-transform-produce loop: batches of at most {@code maxBatchSize} valid
     * records go to {@code handler}; each batch's outputs, dead letters and consumed offsets are committed in
     * one Kafka transaction. The consumer reads {@code read_committed}; the loop owns its clients.
     *
     * @param transactionalId stable per instance (e.g. "generator-0"), distinct between instances: a restarted
     *                        instance fences its predecessor and aborts the transaction that one left open
     * @param maxBatchSize    the most records one handler call gets ({@code max.poll.records}); bounds memory
     */
    public static <K, V> ConsumerLoop<K, V> exactlyOnce(String service, KafkaSettings kafka, Topic<K, V> topic,
                                                        String groupId, String transactionalId, int maxBatchSize,
                                                        RecordCheck<K, V> check, BatchHandler<K, V> handler) {
        if (transactionalId == null || transactionalId.isBlank()) {
            throw new IllegalArgumentException(service + ": a transactional id is required, was '" + transactionalId + "'");
        }
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException(service + ": the batch size must be at least 1, was " + maxBatchSize);
        }
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.transactionalProducer(transactionalId, transactionalId));
        try {
            KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.readCommittedConsumer(groupId, service, maxBatchSize));
            Delivery delivery = new ExactlyOnceDelivery(service, transactionalId, producer, kafka.topics().deadLetters());
            return new ConsumerLoop<>(service, topic, consumer, delivery, check, handler, false, POLL_TIMEOUT);
        } catch (RuntimeException e) {
            producer.close(Duration.ZERO);
            throw e;
        }
    }

    @Override
    public void run() {
        log.info("{}: consuming {}", service, topic.name());
        try {
            delivery.start();
            consumer.subscribe(List.of(topic.name()), new LoggingRebalanceListener());
            startedNanos = System.nanoTime();
            while (running) {
                long t0 = System.nanoTime();
                ConsumerRecords<byte[], byte[]> polled = consumer.poll(pollTimeout);
                pollNanos.addAndGet(System.nanoTime() - t0);
                if (!polled.isEmpty()) {
                    beforeEachBatch.run();
                    if (processBatch(polled)) {
                        retryBackoff = Duration.ZERO;
                    } else {
                        backOff();
                    }
                }
                logProgress();
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } catch (InterruptException e) {
            // Kafka's unchecked form of InterruptedException: keep the interrupt status for our caller.
            Thread.currentThread().interrupt();
            log.info("{}: interrupted, stopping", service);
        } catch (RuntimeException e) {
            // Nothing more is committed: the records in hand will be consumed again after a restart.
            log.error("{}: stopping on an error; offsets after the last commit are not committed", service, e);
            throw e;
        } finally {
            try {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
                closeQuietly(delivery);
                for (AutoCloseable resource : closeWithLoop) {
                    closeQuietly(resource);
                }
            } finally {
                log.info("{}: stopped after {} records in {} batches ({} handled, {} dead-lettered)", service,
                        consumed.get(), batches.get(), handled.get(), deadLettered.get());
                stopped.countDown();
            }
        }
    }

    /**
     * Decodes, checks and handles one poll's records, then makes the batch durable. Returns false when the
     * batch, or its tail, is to be consumed again after a pause: the schema registry was unreachable, or the
     * batch's transaction was aborted. Those records are rewound (seek), not dead-lettered.
     */
    private boolean processBatch(ConsumerRecords<byte[], byte[]> polled) {
        BatchOutcome batch = new BatchOutcome();
        List<DecodedRecord<K, V>> valid = new ArrayList<>();
        boolean decodedAll = decodeAll(polled, batch, valid);
        try {
            serve(valid, batch);
            if (batch.offsets().isEmpty()) {
                return decodedAll;
            }
            if (!delivery.complete(batch, consumer)) {
                rewind(polled);
                return false;
            }
        } catch (RegistryUnavailableException e) {
            log.warn("{}: schema registry unavailable while handling a batch ({}); will retry", service, e.getMessage());
            rewind(polled);
            return false;
        }
        consumed.addAndGet(batch.consumedCount());
        handled.addAndGet(batch.handledCount());
        deadLettered.addAndGet(batch.deadLetters().size());
        batches.incrementAndGet();
        return decodedAll;
    }

    /**
     * Decodes and checks the polled records in order: valid ones go to {@code valid}, the others to the batch's
     * dead letters. Returns false when the schema registry is unreachable: the record that needed it and
     * everything after it are rewound to be consumed again once the registry answers.
     */
    private boolean decodeAll(ConsumerRecords<byte[], byte[]> polled, BatchOutcome batch, List<DecodedRecord<K, V>> valid) {
        for (TopicPartition partition : polled.partitions()) {
            for (ConsumerRecord<byte[], byte[]> raw : polled.records(partition)) {
                try {
                    ConsumerRecord<K, V> record = decode(raw, batch);
                    if (record != null) {
                        valid.add(new DecodedRecord<>(raw, record));
                    }
                } catch (RegistryUnavailableException e) {
                    log.warn("{}: schema registry unavailable while decoding {}[{}]@{} ({}); will retry",
                            service, raw.topic(), raw.partition(), raw.offset(), e.getMessage());
                    rewindUnprocessed(polled, partition, raw.offset());
                    return false;
                }
                batch.consumed(raw);
            }
        }
        return true;
    }

    /** The decoded record when it is valid; null when it is a tombstone or goes to the dead letters. */
    private ConsumerRecord<K, V> decode(ConsumerRecord<byte[], byte[]> raw, BatchOutcome batch) {
        K key;
        V value;
        try {
            key = raw.key() == null ? null : topic.keySerde().deserializer().deserialize(raw.topic(), raw.headers(), raw.key());
            if (raw.value() == null) {
                if (topic.isCompacted()) {
                    log.debug("{}: tombstone at {}[{}]@{}", service, raw.topic(), raw.partition(), raw.offset());
                    return null;
                }
                batch.deadLetter(Rejection.invalid(raw, "record has no value"));
                return null;
            }
            value = topic.valueSerde().deserializer().deserialize(raw.topic(), raw.headers(), raw.value());
        } catch (RegistryUnavailableException e) {
            throw e; // not the record's fault: decodeAll rewinds and retries it
        } catch (RuntimeException e) {
            // A SerializationException, or a decoder failing with anything else: it must not stop the service.
            batch.deadLetter(Rejection.of(raw, e));
            return null;
        }
        List<String> problems = check.problems(key, value);
        if (!problems.isEmpty()) {
            batch.deadLetter(Rejection.invalid(raw, String.join("; ", problems)));
            return null;
        }
        return new ConsumerRecord<>(raw.topic(), raw.partition(), raw.offset(), raw.timestamp(), raw.timestampType(),
                raw.serializedKeySize(), raw.serializedValueSize(), key, value, raw.headers(), raw.leaderEpoch());
    }

    /**
     * Runs the handler on the valid records in one call; if that call throws, runs it on each record alone, so
     * that only the records that fail alone are dead-lettered and the others are served.
     */
    private void serve(List<DecodedRecord<K, V>> valid, BatchOutcome batch) {
        if (valid.isEmpty()) {
            return;
        }
        if (!oneAtATime && valid.size() > 1) {
            RuntimeException failure = attempt(valid, batch);
            if (failure == null) {
                return;
            }
            log.warn("{}: handler failed on a batch of {} records ({}); serving each record alone", service,
                    valid.size(), failure.toString());
        }
        for (DecodedRecord<K, V> one : valid) {
            RuntimeException failure = attempt(List.of(one), batch);
            if (failure != null) {
                ConsumerRecord<byte[], byte[]> raw = one.raw();
                if (!(failure instanceof InvalidRecordException)) {
                    log.error("{}: handler failed on {}[{}]@{}", service, raw.topic(), raw.partition(), raw.offset(), failure);
                }
                batch.deadLetter(Rejection.of(raw, failure));
            }
        }
    }

    /**
     * One handler call. Its output joins the batch if it returns; if it throws, it leaves nothing behind and
     * its exception is returned — unless the failure is not the records' fault (registry outage, wakeup,
     * interrupt), which propagates.
     */
    private RuntimeException attempt(List<DecodedRecord<K, V>> records, BatchOutcome batch) {
        BufferedOutput<K, V> out = new BufferedOutput<>(records);
        try {
            handler.handle(out.records(), out);
        } catch (RegistryUnavailableException | WakeupException | InterruptException e) {
            throw e;
        } catch (RuntimeException e) {
            return e;
        } finally {
            out.close();
        }
        batch.add(out);
        return null;
    }

    /** Seeks every partition of the batch back to where the batch began: its last committed position. */
    private void rewind(ConsumerRecords<byte[], byte[]> polled) {
        for (TopicPartition partition : polled.partitions()) {
            consumer.seek(partition, polled.records(partition).get(0).offset());
        }
    }

    /** Seeks the failed partition to the failed record, and every partition not yet reached to its first record. */
    private void rewindUnprocessed(ConsumerRecords<byte[], byte[]> polled, TopicPartition failed, long failedOffset) {
        consumer.seek(failed, failedOffset);
        boolean after = false;
        for (TopicPartition partition : polled.partitions()) {
            if (partition.equals(failed)) {
                after = true;
            } else if (after) {
                consumer.seek(partition, polled.records(partition).get(0).offset());
            }
        }
    }

    private void backOff() {
        retryBackoff = retryBackoff.isZero() ? Duration.ofMillis(500)
                : retryBackoff.multipliedBy(2).compareTo(MAX_RETRY_BACKOFF) > 0 ? MAX_RETRY_BACKOFF
                : retryBackoff.multipliedBy(2);
        try {
            Thread.sleep(retryBackoff.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /**
     * Runs {@code hook} on the loop's thread before each batch is handled, outside its transaction — e.g. to
     * adopt a newly announced policy between batches. An exception from the hook stops the loop.
     */
    public ConsumerLoop<K, V> beforeEachBatch(Runnable hook) {
        beforeEachBatch = Objects.requireNonNull(hook, "hook");
        return this;
    }

    /** Closes the resource (a dead-letter publisher, a producer) when the loop has stopped. */
    public ConsumerLoop<K, V> closeWhenStopped(AutoCloseable resource) {
        closeWithLoop.add(resource);
        return this;
    }

    private void closeQuietly(AutoCloseable resource) {
        try {
            resource.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("{}: closing {} failed: {}", service, resource, e.toString());
        }
    }

    private void logProgress() {
        if (System.nanoTime() - lastProgressLog > 30_000_000_000L) {
            lastProgressLog = System.nanoTime();
            log.info("{}: {} records in {} batches so far ({} handled, {} dead-lettered)", service, consumed.get(),
                    batches.get(), handled.get(), deadLettered.get());
        }
    }

    /** Asks the loop to stop: safe from any thread, including a shutdown hook. */
    @Override
    public void stop() {
        running = false;
        consumer.wakeup();
    }

    /** Waits until {@link #run()} has committed, closed the consumer and returned. */
    @Override
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Records consumed and committed: handled, dead-lettered or skipped (tombstones). */
    public long consumed() {
        return consumed.get();
    }

    /** Records the handler served, committed. */
    public long handled() {
        return handled.get();
    }

    /** Records sent to the dead-letter topic, committed. */
    public long deadLettered() {
        return deadLettered.get();
    }

    /** Batches committed. */
    public long batches() {
        return batches.get();
    }

    /**
     * Time spent in {@code poll}, which returns at once while records are buffered: the time this loop waited
     * for input. Over {@link #runningNanos()} it is the service's idle share.
     */
    public long pollNanos() {
        return pollNanos.get();
    }

    /** Time since the loop subscribed, 0 before. */
    public long runningNanos() {
        long started = startedNanos;
        return started == 0 ? 0 : System.nanoTime() - started;
    }

    private final class LoggingRebalanceListener implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // Each batch is committed (or rewound) before the next poll: nothing is left to commit here.
            if (!partitions.isEmpty()) {
                log.info("{}: partitions revoked {}", service, partitions);
            }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            log.info("{}: partitions assigned {}", service, partitions);
        }
    }
}

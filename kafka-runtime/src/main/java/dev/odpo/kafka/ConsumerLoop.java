package dev.odpo.kafka;

import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.registry.serde.RegistryUnavailableException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes one topic as raw bytes, decodes each record with the topic's serdes, validates it and hands it
 * to the service. A record that cannot be decoded, fails validation or makes the handler throw goes to the
 * dead-letter topic and the loop keeps going: bad input never stops a service.
 *
 * <p>Offsets are committed after each batch, once the batch's dead letters are acknowledged (at least
 * once: a crash re-delivers the uncommitted batch). If a dead letter cannot be written (the dead-letter
 * topic is missing, the broker is down), the loop stops with that error and commits nothing past it, so the
 * records are consumed again after a restart instead of being lost. {@link #stop()} — called from the shutdown hook that
 * {@link Service#installShutdownHook(String)} registers — wakes the consumer, the loop commits what it processed and
 * closes the consumer, and {@link #run()} returns.
 */
public final class ConsumerLoop<K, V> implements Service {

    private static final Logger log = LoggerFactory.getLogger(ConsumerLoop.class);
    private static final Duration MAX_REGISTRY_BACKOFF = Duration.ofSeconds(30);

    /** The service's work on one valid record. Throw {@link InvalidRecordException} to dead-letter it. */
    @FunctionalInterface
    public interface Handler<K, V> {
        void handle(ConsumerRecord<K, V> record);
    }

    private final String service;
    private final Topic<K, V> topic;
    private final Consumer<byte[], byte[]> consumer;
    private final DeadLetters deadLetters;
    private final RecordCheck<K, V> check;
    private final Handler<K, V> handler;
    private final Duration pollTimeout;

    private volatile boolean running = true;
    private boolean failed;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Map<TopicPartition, OffsetAndMetadata> processed = new HashMap<>();
    private final AtomicLong consumed = new AtomicLong();
    private final AtomicLong handled = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final List<AutoCloseable> closeWithLoop = new java.util.concurrent.CopyOnWriteArrayList<>();
    private long lastProgressLog = System.nanoTime();
    private Duration registryBackoff = Duration.ZERO;

    public ConsumerLoop(String service, Topic<K, V> topic, Consumer<byte[], byte[]> consumer, DeadLetters deadLetters,
                        RecordCheck<K, V> check, Handler<K, V> handler) {
        this(service, topic, consumer, deadLetters, check, handler, Duration.ofMillis(500));
    }

    public ConsumerLoop(String service, Topic<K, V> topic, Consumer<byte[], byte[]> consumer, DeadLetters deadLetters,
                        RecordCheck<K, V> check, Handler<K, V> handler, Duration pollTimeout) {
        this.service = service;
        this.topic = topic;
        this.consumer = consumer;
        this.deadLetters = deadLetters;
        this.check = check;
        this.handler = handler;
        this.pollTimeout = pollTimeout;
    }

    /**
     * A service's loop over one topic with everything it owns: a consumer in {@code groupId} and a
     * dead-letter publisher, both closed when the loop stops.
     */
    public static <K, V> ConsumerLoop<K, V> forService(String service, KafkaSettings kafka, Topic<K, V> topic,
                                                       String groupId, RecordCheck<K, V> check, Handler<K, V> handler) {
        DeadLetters deadLetters = DeadLetters.create(service, kafka.topics(), kafka);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.rawConsumer(groupId, service));
        return new ConsumerLoop<>(service, topic, consumer, deadLetters, check, handler).closeWhenStopped(deadLetters);
    }

    @Override
    public void run() {
        log.info("{}: consuming {}", service, topic.name());
        try {
            consumer.subscribe(List.of(topic.name()), new LoggingRebalanceListener());
            while (running) {
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(pollTimeout);
                boolean complete = processBatch(batch);
                if (!processed.isEmpty()) {
                    commit();
                }
                if (!complete) {
                    backOffFromRegistryOutage();
                } else {
                    registryBackoff = Duration.ZERO;
                }
                logProgress();
            }
        } catch (WakeupException e) {
            if (running) {
                failed = true;
                throw e;
            }
        } catch (InterruptException e) {
            // Kafka's unchecked form of InterruptedException: keep the interrupt status for our caller.
            Thread.currentThread().interrupt();
            log.info("{}: interrupted, stopping", service);
        } catch (RuntimeException e) {
            // Nothing more is committed: the records in hand will be consumed again after a restart.
            failed = true;
            log.error("{}: stopping on an error; offsets after the last commit are not committed", service, e);
            throw e;
        } finally {
            try {
                commitQuietly();
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
                for (AutoCloseable resource : closeWithLoop) {
                    closeQuietly(resource);
                }
            } finally {
                log.info("{}: stopped after {} records ({} handled, {} dead-lettered)", service, consumed.get(),
                        handled.get(), deadLettered.get());
                stopped.countDown();
            }
        }
    }

    /**
     * Processes a batch in order. Returns false when the schema registry is unreachable: the record that
     * needed it and everything after it in its partition are rewound (seek) to be consumed again once the
     * registry answers — an outage is not the record's fault, so nothing is dead-lettered for it.
     */
    private boolean processBatch(ConsumerRecords<byte[], byte[]> batch) {
        for (TopicPartition partition : batch.partitions()) {
            for (ConsumerRecord<byte[], byte[]> record : batch.records(partition)) {
                try {
                    process(record);
                    consumed.incrementAndGet();
                } catch (RegistryUnavailableException e) {
                    log.warn("{}: schema registry unavailable while decoding {}[{}]@{} ({}); will retry",
                            service, record.topic(), record.partition(), record.offset(), e.getMessage());
                    rewindUnprocessed(batch, partition, record.offset());
                    return false;
                }
                processed.put(partition, new OffsetAndMetadata(record.offset() + 1));
            }
        }
        return true;
    }

    /** Seeks the failed partition to the failed record, and every partition not yet reached to its first record. */
    private void rewindUnprocessed(ConsumerRecords<byte[], byte[]> batch, TopicPartition failed, long failedOffset) {
        consumer.seek(failed, failedOffset);
        boolean after = false;
        for (TopicPartition partition : batch.partitions()) {
            if (partition.equals(failed)) {
                after = true;
            } else if (after) {
                consumer.seek(partition, batch.records(partition).get(0).offset());
            }
        }
    }

    private void backOffFromRegistryOutage() {
        registryBackoff = registryBackoff.isZero() ? Duration.ofMillis(500)
                : registryBackoff.multipliedBy(2).compareTo(MAX_REGISTRY_BACKOFF) > 0 ? MAX_REGISTRY_BACKOFF
                : registryBackoff.multipliedBy(2);
        try {
            Thread.sleep(registryBackoff.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private void process(ConsumerRecord<byte[], byte[]> raw) {
        K key;
        V value;
        try {
            key = raw.key() == null ? null : topic.keySerde().deserializer().deserialize(raw.topic(), raw.headers(), raw.key());
            if (raw.value() == null) {
                if (topic.isCompacted()) {
                    log.debug("{}: tombstone at {}[{}]@{}", service, raw.topic(), raw.partition(), raw.offset());
                    return;
                }
                deadLetter(raw, "InvalidRecord", "record has no value");
                return;
            }
            value = topic.valueSerde().deserializer().deserialize(raw.topic(), raw.headers(), raw.value());
        } catch (RegistryUnavailableException e) {
            throw e; // not the record's fault: processBatch rewinds and retries it
        } catch (SerializationException e) {
            deadLetter(raw, e);
            return;
        } catch (RuntimeException e) {
            // A decoder that fails with anything else still must not stop the service.
            deadLetter(raw, e);
            return;
        }
        List<String> problems = check.problems(key, value);
        if (!problems.isEmpty()) {
            deadLetter(raw, "InvalidRecord", String.join("; ", problems));
            return;
        }
        try {
            handler.handle(new ConsumerRecord<>(raw.topic(), raw.partition(), raw.offset(), raw.timestamp(),
                    raw.timestampType(), raw.serializedKeySize(), raw.serializedValueSize(), key, value, raw.headers(),
                    raw.leaderEpoch()));
            handled.incrementAndGet();
        } catch (InvalidRecordException e) {
            deadLetter(raw, "InvalidRecord", e.getMessage());
        } catch (WakeupException | InterruptException e) {
            throw e;
        } catch (RuntimeException e) {
            log.error("{}: handler failed on {}[{}]@{}", service, raw.topic(), raw.partition(), raw.offset(), e);
            deadLetter(raw, e);
        }
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> raw, String errorClass, String reason) {
        deadLetters.send(raw, errorClass, reason);
        deadLettered.incrementAndGet();
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> raw, Throwable error) {
        deadLetters.send(raw, error);
        deadLettered.incrementAndGet();
    }

    private void commit() {
        // A record's offset is committed only once its dead letter (if any) is durable.
        deadLetters.flush();
        consumer.commitSync(Map.copyOf(processed));
        processed.clear();
    }

    /** Commits what was processed, unless the loop failed (then nothing more may be committed). */
    private void commitQuietly() {
        if (failed || processed.isEmpty()) {
            return;
        }
        try {
            commit();
        } catch (RuntimeException e) {
            log.warn("{}: could not commit offsets on shutdown ({}); those records will be consumed again",
                    service, e.toString());
        }
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
            log.info("{}: {} records consumed so far ({} handled, {} dead-lettered)", service, consumed.get(),
                    handled.get(), deadLettered.get());
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

    public long consumed() {
        return consumed.get();
    }

    public long handled() {
        return handled.get();
    }

    public long deadLettered() {
        return deadLettered.get();
    }

    private final class LoggingRebalanceListener implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) {
                commitQuietly();
                log.info("{}: partitions revoked {}", service, partitions);
            }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            log.info("{}: partitions assigned {}", service, partitions);
        }
    }
}

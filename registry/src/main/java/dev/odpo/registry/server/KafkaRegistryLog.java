package dev.odpo.registry.server;

import dev.odpo.registry.client.SchemaRegistryException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's durable log: a single-partition compacted Kafka topic (default {@code _schemas}), as in
 * Confluent's registry. On open, the topic is created if missing (and refused if it is not compacted) and read to
 * its end to rebuild the state; a reader thread then applies every new record. A write is produced with
 * {@code acks=all} and returns only once the reader has applied it, so the state always follows the topic.
 */
final class KafkaRegistryLog implements RegistryLog {

    private static final Logger log = LoggerFactory.getLogger(KafkaRegistryLog.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final String topic;
    private final TopicPartition partition;
    private final Map<String, Object> clientConfig;
    private KafkaProducer<String, String> producer;
    private KafkaConsumer<String, String> consumer;
    private Thread reader;
    private volatile boolean running;
    private long appliedOffset; // next offset to apply; guarded by this
    private Consumer<RegistryRecord> apply;

    /** {@code kafkaConfig} holds extra client settings (security etc.); bootstrap.servers is required. */
    KafkaRegistryLog(String topic, Map<String, ?> kafkaConfig) {
        this.topic = topic;
        this.partition = new TopicPartition(topic, 0);
        this.clientConfig = new HashMap<>(kafkaConfig);
    }

    @Override
    public void open(Consumer<RegistryRecord> apply) {
        this.apply = apply;
        ensureTopic();
        Map<String, Object> p = new HashMap<>(clientConfig);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "schema-registry-writer");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0); // one record per request: do not wait for a batch
        producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        Map<String, Object> c = new HashMap<>(clientConfig);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "schema-registry-reader");
        consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer());
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        long end = consumer.endOffsets(List.of(partition), TIMEOUT).get(partition);

        running = true;
        reader = new Thread(this::readLoop, "schema-registry-reader");
        reader.setDaemon(true);
        reader.start();
        if (!awaitApplied(end, TIMEOUT)) {
            close();
            throw new IllegalStateException("could not read topic " + topic + " to its end (offset " + end + ") within " + TIMEOUT);
        }
        log.info("schema registry state rebuilt from {} records of topic {}", end, topic);
    }

    @Override
    public void append(RegistryRecord record) {
        long offset;
        try {
            offset = producer.send(new ProducerRecord<>(topic, 0, RegistryRecordJson.key(record), RegistryRecordJson.value(record)))
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).offset();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException(SchemaRegistryException.STORE_ERROR, "interrupted while writing to " + topic, e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new SchemaRegistryException(SchemaRegistryException.STORE_ERROR,
                    "Error while writing to Kafka topic " + topic + ": " + cause, cause);
        }
        if (!awaitApplied(offset + 1, TIMEOUT)) {
            throw new SchemaRegistryException(SchemaRegistryException.STORE_ERROR,
                    "Wrote offset " + offset + " to " + topic + " but did not read it back within " + TIMEOUT);
        }
    }

    private void readLoop() {
        while (running) {
            try {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    applyOne(r);
                }
                long position = consumer.position(partition);
                synchronized (this) {
                    if (position > appliedOffset) {
                        appliedOffset = position; // skips compaction gaps and transaction markers
                        notifyAll();
                    }
                }
            } catch (WakeupException e) {
                return;
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                log.warn("schema registry reader: {}; retrying", e.toString());
                sleepQuietly(1000);
            }
        }
    }

    private void applyOne(ConsumerRecord<String, String> r) {
        try {
            RegistryRecord record = r.key() == null ? null : RegistryRecordJson.decode(r.key(), r.value());
            if (record != null) {
                apply.accept(record);
            }
        } catch (RuntimeException e) {
            // A bad record must not stop the registry: skip it, say where it is.
            log.error("skipping unreadable record at {}-{} offset {}: {}", r.topic(), r.partition(), r.offset(), e.toString());
        }
        synchronized (this) {
            appliedOffset = r.offset() + 1;
            notifyAll();
        }
    }

    private synchronized boolean awaitApplied(long offset, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (appliedOffset < offset) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** A describe call on a topic just created: retried while the broker answers "unknown topic", up to TIMEOUT. */
    private static <T> T onceKnown(AdminCall<T> call) throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            try {
                return call.get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    @FunctionalInterface
    private interface AdminCall<T> {
        T get() throws InterruptedException, ExecutionException, TimeoutException;
    }

    private void ensureTopic() {
        try (Admin admin = Admin.create(clientConfig)) {
            int brokers = admin.describeCluster().nodes().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).size();
            NewTopic t = new NewTopic(topic, Optional.of(1), Optional.of((short) Math.min(3, Math.max(1, brokers))))
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            try {
                admin.createTopics(List.of(t)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                log.info("created compacted schema topic {}", topic);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            // Right after creation the broker's metadata may not know the topic yet: retry until it does.
            Config config = onceKnown(() -> admin.describeConfigs(List.of(res)).all()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(res));
            String policy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
            if (!policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT) || policy.contains(TopicConfig.CLEANUP_POLICY_DELETE)) {
                throw new IllegalStateException("schema topic " + topic + " has cleanup.policy=" + policy
                        + "; it must be compact only, or schemas would expire");
            }
            Collection<?> parts = onceKnown(() -> admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(topic).partitions());
            if (parts.size() != 1) {
                throw new IllegalStateException("schema topic " + topic + " must have exactly 1 partition, has " + parts.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking topic " + topic, e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("cannot create or check schema topic " + topic + " on "
                    + clientConfig.get("bootstrap.servers") + ": " + cause, cause);
        }
    }

    @Override
    public void close() {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (reader != null) {
            try {
                reader.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (consumer != null) {
            consumer.close(Duration.ofSeconds(5));
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

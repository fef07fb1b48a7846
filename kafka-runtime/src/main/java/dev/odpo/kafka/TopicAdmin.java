package dev.odpo.kafka;

import dev.odpo.kafka.config.KafkaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics odpo needs when they are missing (idempotent: safe at every service start, safe when
 * several services start at once) and describes them.
 */
public final class TopicAdmin implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TopicAdmin.class);
    private static final long TIMEOUT_SECONDS = 60;

    /** What {@link #createMissing} found or did for one topic. */
    public enum Outcome { CREATED, EXISTED }

    /**
     * A topic as the broker has it.
     *
     * @param partitions        actual partition count, or 0 when the topic does not exist
     * @param expectedPartitions the partition count odpo declares for it
     */
    public record TopicState(String name, boolean exists, int partitions, int expectedPartitions, int replicationFactor,
                             String cleanupPolicy, String retentionMs) {

        /** A per-prompt topic created elsewhere with another partition count breaks co-partitioning. */
        public boolean partitionsMatch() {
            return !exists || partitions == expectedPartitions;
        }
    }

    private final Admin admin;
    private final short replicationFactor;

    public TopicAdmin(Admin admin, short replicationFactor) {
        this.admin = admin;
        this.replicationFactor = replicationFactor;
    }

    public static TopicAdmin create(KafkaSettings kafka) {
        return new TopicAdmin(Admin.create(kafka.admin("odpo-topic-admin")), kafka.replicationFactor());
    }

    /**
     * Creates every topic in the list that does not exist yet, with its partitions, cleanup policy and
     * retention. Topics that exist are left as they are (a partition count that differs from the declared
     * one is logged as a warning: it breaks co-partitioning).
     *
     * @return per topic name, whether it was created now or existed already
     */
    public Map<String, Outcome> createMissing(Collection<? extends Topic<?, ?>> topics) {
        Set<String> existing = call(admin.listTopics().names(), "list topics");
        Map<String, Outcome> outcome = new LinkedHashMap<>();
        List<NewTopic> toCreate = new ArrayList<>();
        for (Topic<?, ?> t : topics) {
            if (existing.contains(t.name())) {
                outcome.put(t.name(), Outcome.EXISTED);
            } else {
                toCreate.add(new NewTopic(t.name(), t.partitions(), replicationFactor).configs(t.configs()));
            }
        }
        if (!toCreate.isEmpty()) {
            Map<String, KafkaFuture<Void>> results = admin.createTopics(toCreate).values();
            results.forEach((name, future) -> {
                try {
                    future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    outcome.put(name, Outcome.CREATED);
                    log.info("created topic {}", name);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof TopicExistsException) {
                        // Another service created it between our list and create: that is fine.
                        outcome.put(name, Outcome.EXISTED);
                    } else {
                        throw new KafkaException("cannot create topic " + name + ": " + e.getCause().getMessage(), e.getCause());
                    }
                } catch (TimeoutException e) {
                    throw new KafkaException("timed out after " + TIMEOUT_SECONDS + " s creating topic " + name, e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new KafkaException("interrupted while creating topic " + name, e);
                }
            });
        }
        for (TopicState state : describe(topics)) {
            if (!state.partitionsMatch()) {
                log.warn("topic {} has {} partitions but odpo declares {}: per-prompt topics must have the same partition "
                        + "count to stay co-partitioned", state.name(), state.partitions(), state.expectedPartitions());
            }
        }
        return outcome;
    }

    /** The broker's view of each topic: partitions, replication, cleanup policy, retention. */
    public List<TopicState> describe(Collection<? extends Topic<?, ?>> topics) {
        Set<String> existing = call(admin.listTopics().names(), "list topics");
        List<String> present = topics.stream().map(Topic::name).filter(existing::contains).toList();
        Map<String, TopicDescription> descriptions = present.isEmpty() ? Map.of()
                : onceKnown(() -> admin.describeTopics(present).allTopicNames(), "describe topics");
        List<ConfigResource> resources = present.stream()
                .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
        Map<ConfigResource, Config> configs = present.isEmpty() ? Map.of()
                : onceKnown(() -> admin.describeConfigs(resources).all(), "describe topic configs");
        List<TopicState> states = new ArrayList<>();
        for (Topic<?, ?> t : topics) {
            TopicDescription d = descriptions.get(t.name());
            if (d == null) {
                states.add(new TopicState(t.name(), false, 0, t.partitions(), 0, "", ""));
                continue;
            }
            Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, t.name()));
            states.add(new TopicState(t.name(), true, d.partitions().size(), t.partitions(),
                    d.partitions().get(0).replicas().size(), value(c, "cleanup.policy"), value(c, "retention.ms")));
        }
        return states;
    }

    private static String value(Config config, String name) {
        if (config == null) {
            return "";
        }
        ConfigEntry e = config.get(name);
        return e == null || e.value() == null ? "" : e.value();
    }

    /**
     * A describe right after creation may reach a broker whose metadata does not know the topic yet:
     * retried while Kafka answers "unknown topic", for up to the admin timeout.
     */
    private static <T> T onceKnown(Supplier<KafkaFuture<T>> request, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (true) {
            try {
                return call(request.get(), what);
            } catch (KafkaException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
                        || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new KafkaException("interrupted while trying to " + what, ie);
                }
            }
        }
    }

    private static <T> T call(KafkaFuture<T> future, String what) {
        try {
            return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new KafkaException("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaException("timed out after " + TIMEOUT_SECONDS + " s trying to " + what
                    + " (is Kafka reachable at the configured bootstrap.servers?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while trying to " + what, e);
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}

package dev.odpo.policy;

import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.kafka.ReadToEnd;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.registry.serde.RegistryUnavailableException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Building and reading {@code CheckpointAnnouncement}s. The checkpoints topic is compacted and keyed by
 * policy name, so its newest record per policy is the live version; reading it from the beginning gives
 * every version still retained.
 */
public final class Announcements {

    private static final Logger log = LoggerFactory.getLogger(Announcements.class);

    private Announcements() {
    }

    /**
     * The announcement of a stored snapshot.
     *
     * @param referenceUri where π_ref's snapshot is (null when none)
     * @param learnerId    who trained it (null for an operator's publish)
     */
    public static CheckpointAnnouncement of(Snapshot s, String referenceUri, String learnerId) {
        SnapshotManifest m = s.manifest();
        return CheckpointAnnouncement.newBuilder()
                .setAnnouncementId(m.policyName() + "-v" + m.version() + "-" + s.sha256().substring(0, 12))
                .setPolicyName(m.policyName())
                .setVersion(m.version())
                .setCreatedAt(m.createdAt())
                .setUri(s.uri())
                .setSha256(s.sha256())
                .setParentVersion(m.parentVersion())
                .setReferenceVersion(m.referenceVersion())
                .setReferenceUri(referenceUri)
                .setStep(m.step())
                .setPairsTrained(m.pairsTrained())
                .setLearnerId(learnerId)
                .build();
    }

    /**
     * The announced snapshot, verified: inside the store, every file matching its manifest, the manifest
     * hashing to the announcement's sha256 and naming the announced policy and version (an announcement that
     * points at another version's genuine files is refused too).
     *
     * @throws SnapshotException saying why it is refused
     */
    public static Snapshot open(CheckpointStore store, CheckpointAnnouncement a) throws IOException {
        return open(store, a, Snapshot.ALL_FILES);
    }

    /** {@link #open(CheckpointStore, CheckpointAnnouncement)}, verifying only the files {@code files} accepts. */
    public static Snapshot open(CheckpointStore store, CheckpointAnnouncement a,
                                Predicate<String> files) throws IOException {
        Snapshot snapshot = store.open(a.getUri(), a.getSha256(), files);
        if (snapshot.version() != a.getVersion() || !snapshot.policyName().equals(a.getPolicyName())) {
            throw new SnapshotException(a.getUri(), "manifest says " + snapshot.policyName() + " v" + snapshot.version()
                    + ", the announcement " + a.getPolicyName() + " v" + a.getVersion());
        }
        return snapshot;
    }

    /** The record that announces {@code a} on the checkpoints topic (serialized with the topic's serdes). */
    public static ProducerRecord<byte[], byte[]> record(Topic<String, CheckpointAnnouncement> topic,
                                                        CheckpointAnnouncement a) {
        return topic.record(a.getPolicyName(), a);
    }

    /** Announces {@code a} and waits until the broker has it. */
    public static void announce(Producer<byte[], byte[]> producer, Topic<String, CheckpointAnnouncement> topic,
                                CheckpointAnnouncement a) {
        try {
            producer.send(record(topic, a)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while announcing " + a.getPolicyName() + " v" + a.getVersion());
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("could not announce " + a.getPolicyName() + " v" + a.getVersion() + ": "
                    + e.getCause().getMessage(), e.getCause());
        }
    }

    /**
     * Every announcement on the topic now, in log order; records that do not decode are logged and skipped.
     * Joins no consumer group.
     *
     * @throws RegistryUnavailableException when the schema registry does not answer: no announcement is skipped
     *                                      for that
     */
    public static List<CheckpointAnnouncement> readAll(KafkaSettings kafka, Duration timeout) {
        Topic<String, CheckpointAnnouncement> topic = kafka.topics().checkpoints();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.rawConsumer("unused", "odpo-checkpoints-reader"))) {
            return readAll(consumer, topic, timeout);
        }
    }

    static List<CheckpointAnnouncement> readAll(Consumer<byte[], byte[]> consumer,
                                                Topic<String, CheckpointAnnouncement> topic, Duration timeout) {
        List<CheckpointAnnouncement> out = new ArrayList<>();
        if (!ReadToEnd.read(consumer, topic.name(), ReadToEnd.Start.BEGINNING, timeout,
                r -> decode(topic, r).ifPresent(out::add))) {
            throw new IllegalStateException("timed out reading " + topic.name());
        }
        return out;
    }

    /** The newest announcement (highest version) of each policy name, sorted by name. */
    public static Map<String, CheckpointAnnouncement> newestByPolicy(List<CheckpointAnnouncement> all) {
        Map<String, CheckpointAnnouncement> out = new java.util.TreeMap<>();
        for (CheckpointAnnouncement a : all) {
            out.merge(a.getPolicyName(), a, (x, y) -> y.getVersion() >= x.getVersion() ? y : x);
        }
        return out;
    }

    /** The announcements of one policy, the last one per version, newest version first. */
    public static List<CheckpointAnnouncement> versions(List<CheckpointAnnouncement> all, String policyName) {
        Map<Long, CheckpointAnnouncement> byVersion = new LinkedHashMap<>();
        for (CheckpointAnnouncement a : all) {
            if (a.getPolicyName().equals(policyName)) {
                byVersion.put(a.getVersion(), a);
            }
        }
        List<CheckpointAnnouncement> out = new ArrayList<>(byVersion.values());
        out.sort(Comparator.comparingLong(CheckpointAnnouncement::getVersion).reversed());
        return out;
    }

    /** The newest announced version of a policy, if any. */
    public static Optional<CheckpointAnnouncement> newest(List<CheckpointAnnouncement> all, String policyName) {
        return versions(all, policyName).stream().findFirst();
    }

    /** Age of an announcement at {@code now}: from when the snapshot was written. */
    public static Duration age(CheckpointAnnouncement a, Instant now) {
        return Duration.between(a.getCreatedAt(), now);
    }

    static Optional<CheckpointAnnouncement> decode(Topic<String, CheckpointAnnouncement> topic, ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            return Optional.empty();   // a tombstone: compaction removes a policy
        }
        try {
            return Optional.of(topic.value(r));
        } catch (RegistryUnavailableException e) {
            // not the record's fault: skipping it would hide a live version (and make a reader resume from an
            // older one); the caller retries once the registry answers
            throw e;
        } catch (RuntimeException e) {
            log.warn("skipping undecodable announcement at {}[{}]@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
            return Optional.empty();
        }
    }
}

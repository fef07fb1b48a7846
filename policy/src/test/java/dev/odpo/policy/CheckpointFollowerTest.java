package dev.odpo.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.DeadLetter;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A follower on a real broker adopts newer versions in order and never a snapshot that does not verify. */
class CheckpointFollowerTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @TempDir
    Path root;

    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private KafkaSettings kafka;
    private Topics topics;
    private LocalCheckpointStore store;
    private KafkaProducer<byte[], byte[]> producer;

    /** What the test loader makes of a snapshot: its version and the text of its one file. */
    record Loaded(long version, String text) implements AutoCloseable {
        @Override
        public void close() {
        }
    }

    private static final CheckpointFollower.Loader<Loaded> LOADER =
            (snapshot, a) -> new Loaded(a.getVersion(), Files.readString(snapshot.dir().resolve("weights.txt")));

    @BeforeEach
    void topicsAndStore() throws Exception {
        kafka = KafkaSettings.local(KAFKA.bootstrapServers(), "mock://follower-" + PREFIXES.get())
                .withTopicPrefix("f" + PREFIXES.incrementAndGet() + ".");
        topics = kafka.topics();
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            admin.createMissing(topics.all());
        }
        store = new LocalCheckpointStore(root.resolve("store"));
        producer = new KafkaProducer<>(kafka.rawProducer("test"));
    }

    private CheckpointAnnouncement publish(String policy, long version) throws IOException {
        Snapshot s = store.publish(new CheckpointStore.Request(policy, version, version == 0 ? null : version - 1, 0L,
                version * 10, version * 100, dir -> Files.writeString(dir.resolve("weights.txt"), "weights of v" + version)));
        CheckpointAnnouncement a = Announcements.of(s, null, "test");
        Announcements.announce(producer, topics.checkpoints(), a);
        return a;
    }

    private CheckpointFollower<Loaded> follower(String policy) {
        return CheckpointFollower.create("test-service", policy, kafka, store, LOADER).start();
    }

    private static long takeVersion(CheckpointFollower<Loaded> f) {
        return await().atMost(Duration.ofSeconds(20)).until(f::takeNewer, Optional::isPresent).get().version();
    }

    @Test
    void adoptsNewerVersionsInOrderAndSkipsOlderAndDuplicateOnes() throws Exception {
        publish("pi", 0);
        try (CheckpointFollower<Loaded> f = follower("pi")) {
            CheckpointFollower.Ready<Loaded> first = f.awaitFirst(Duration.ofSeconds(20)).orElseThrow();
            assertThat(first.version()).isZero();
            assertThat(first.value().text()).isEqualTo("weights of v0");
            assertThat(first.latency()).isPositive();

            CheckpointAnnouncement v1 = publish("pi", 1);
            assertThat(takeVersion(f)).isEqualTo(1);

            // the same announcement again, and an older version, are not adopted
            Announcements.announce(producer, topics.checkpoints(), v1);
            Announcements.announce(producer, topics.checkpoints(),
                    CheckpointAnnouncement.newBuilder(v1).setVersion(0).build());
            // another policy's versions are not this follower's business
            publish("other", 5);
            publish("pi", 2);
            assertThat(takeVersion(f)).isEqualTo(2);
            assertThat(f.takeNewer()).isEmpty();
            assertThat(f.adoptedCount()).isEqualTo(3);
            assertThat(f.refusedCount()).isZero();
        }
    }

    @Test
    void aCorruptSnapshotIsRefusedAndDeadLetteredWhileTheCurrentVersionKeepsServing() throws Exception {
        publish("pi", 0);
        try (CheckpointFollower<Loaded> f = follower("pi")) {
            assertThat(f.awaitFirst(Duration.ofSeconds(20)).orElseThrow().version()).isZero();

            // v1: a flipped byte after announcing
            CheckpointAnnouncement v1 = publish("pi", 1);
            Snapshot v2 = store.publish(new CheckpointStore.Request("pi", 2, 1L, 0L, 20, 200,
                    dir -> Files.writeString(dir.resolve("weights.txt"), "weights of v2")));
            flipFirstByte(v2.dir().resolve("weights.txt"));
            Announcements.announce(producer, topics.checkpoints(), Announcements.of(v2, null, "test"));
            // v3 names a directory outside the store
            Announcements.announce(producer, topics.checkpoints(), CheckpointAnnouncement.newBuilder(v1)
                    .setVersion(3).setUri(root.resolve("elsewhere").toUri().toString()).build());

            await().atMost(Duration.ofSeconds(20)).until(() -> f.refusedCount() == 2);
            assertThat(f.lastRefusal()).contains("outside the checkpoint store");
            List<CheckpointAnnouncement> taken = new ArrayList<>();
            f.takeNewer().ifPresent(r -> taken.add(r.announcement()));
            assertThat(taken).extracting(CheckpointAnnouncement::getVersion).containsOnly(1L);

            // a good v4 after the bad ones is adopted
            publish("pi", 4);
            assertThat(takeVersion(f)).isEqualTo(4);
        }
        List<DeadLetter> deadLetters = deadLetters(2);
        assertThat(deadLetters).extracting(DeadLetter::getErrorClass).containsOnly("SnapshotRefused");
        assertThat(deadLetters.get(0).getReason()).contains("weights.txt");
        assertThat(deadLetters.get(0).getSourceTopic()).isEqualTo(topics.checkpoints().name());
    }

    @Test
    void aRestartedFollowerLoadsOnlyTheNewestVersionThatVerifies() throws Exception {
        publish("pi", 0);
        publish("pi", 1);
        publish("pi", 2);
        // the newest snapshot lost a file: the follower falls back to v1 and refuses v2
        Files.delete(store.dirOf("pi", 2).resolve("weights.txt"));
        try (CheckpointFollower<Loaded> f = follower("pi")) {
            assertThat(f.awaitFirst(Duration.ofSeconds(20)).orElseThrow().version()).isEqualTo(1);
            assertThat(f.refusedCount()).isEqualTo(1);
            assertThat(f.lastRefusal()).contains("weights.txt: missing");
            assertThat(f.adoptedCount()).as("v0 is never loaded").isEqualTo(1);
        }
    }

    @Test
    void waitsWhileNothingIsAnnounced() throws Exception {
        try (CheckpointFollower<Loaded> f = follower("nobody")) {
            assertThat(f.awaitFirst(Duration.ofSeconds(2))).isEmpty();
            assertThat(f.awaitCaughtUp(Duration.ofSeconds(5))).isTrue();
        }
    }

    private List<DeadLetter> deadLetters(int expected) {
        List<DeadLetter> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.rawConsumer("dl-reader", "dl-reader"))) {
            c.subscribe(List.of(topics.deadLetters().name()));
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(topics.deadLetters().valueSerde().deserializer().deserialize(r.topic(), r.value()));
                }
                return out.size() >= expected;
            });
        }
        return out;
    }

    private static void flipFirstByte(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            int b = f.read();
            f.seek(0);
            f.write(b ^ 0xFF);
        }
    }
}

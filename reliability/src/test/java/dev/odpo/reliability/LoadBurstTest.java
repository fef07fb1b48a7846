package dev.odpo.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.PreferencePair;
import dev.odpo.events.Prompt;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.LocalCheckpointStore;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Given the loop on the tiny policy and its sustainable prompt rate, measured here, when prompts arrive at ten
 * times that rate for a while, then the burst waits in Kafka as consumer lag rather than in the services' memory:
 * the heap in use after a full collection stays near what it was before the burst, nothing is lost (every prompt
 * gets its group of samples, every sample its score, every group with distinct rewards its pair, the learner reads
 * every pair) and every consumer group catches up.
 *
 * <p>The heap ceiling is the test JVM's {@code -Xmx} (2 GiB, the reliability module's surefire setting), shared by
 * the broker, the registry and the five services. {@code -Dodpo.load.burst.seconds=60} runs a longer burst (5 s by
 * default, to stay within a few minutes in CI).
 */
class LoadBurstTest {

    private static final Logger log = LoggerFactory.getLogger(LoadBurstTest.class);
    private static final long MIB = 1024 * 1024;
    private static final int CALIBRATION_PROMPTS = 200;
    /** How much more live heap than before the burst is allowed while its backlog waits: it must wait in Kafka. */
    private static final long LIVE_HEAP_GROWTH_LIMIT = 192 * MIB;

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @TempDir
    Path tmp;

    @Test
    void aBurstOfTenTimesTheSustainableRateWaitsInKafkaIsNotLostAndIsCaughtUp() throws Exception {
        // Given: the loop on a tiny policy, version 0 announced, snapshots rare (the burst is about the event path)
        KafkaSettings kafka = KafkaSettings.local(KAFKA.bootstrapServers(), KAFKA.registryUrl())
                .withTopicPrefix("load.").withPartitions(3);
        Topics topics = kafka.topics();
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            admin.createMissing(topics.all());
        }
        Path checkpoints = tmp.resolve("checkpoints");
        LocalCheckpointStore store = new LocalCheckpointStore(checkpoints);
        Map<String, String> common = Map.of("bootstrap.servers", KAFKA.bootstrapServers(),
                "schema.registry.url", KAFKA.registryUrl(), "topic.prefix", "load.", "topic.partitions", "3",
                "checkpoint.dir", checkpoints.toString());
        long burstSeconds = Long.getLong("odpo.load.burst.seconds", 5);
        GcWatch gc = new GcWatch();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.rawProducer("load"));
             LoopFixture loop = new LoopFixture(tmp.resolve("loop"), common);
             Admin admin = Admin.create(kafka.admin("load-lag"));
             TopicLog<Sample> samples = TopicLog.of(kafka, topics.samples());
             TopicLog<Score> scores = TopicLog.of(kafka, topics.scores());
             TopicLog<PreferencePair> pairs = TopicLog.of(kafka, topics.pairs())) {
            Announcements.announce(producer, topics.checkpoints(),
                    Announcements.of(TinyPolicy.publish(store, LoopFixture.POLICY, 0), null, "operator"));
            // a snapshot (which commits the learner's offsets) every 100 pairs, or 3 s after its last one
            Files.writeString(tmp.resolve("loop").resolve("learner.properties"),
                    "learner.snapshot.steps=25\nlearner.snapshot.interval=3s\n", java.nio.file.StandardOpenOption.APPEND);
            loop.startAll();
            Lag lag = new Lag(admin, topics);

            // warm up: every service has served a few batches (the JIT and PyTorch warm too)
            send(producer, topics, "warm", 0, 40);
            producer.flush();
            samples.until(all -> count(all, "warm-") == 80, Duration.ofSeconds(300));
            awaitCaughtUp(lag, Duration.ofSeconds(120));

            // the sustainable rate: the generator (the slowest stage) working through prompts published all at once,
            // from its first batch's timestamp to its last one's; the rest of the loop must keep up with it
            send(producer, topics, "cal", 0, CALIBRATION_PROMPTS);
            producer.flush();
            List<Instant> sampledAt = samples.until(all -> count(all, "cal-") == 2 * CALIBRATION_PROMPTS,
                    Duration.ofSeconds(300)).stream().filter(e -> e.value().getPromptId().startsWith("cal-"))
                    .map(e -> e.value().getCreatedAt()).sorted().toList();
            Instant first = sampledAt.get(0);
            Instant last = sampledAt.get(sampledAt.size() - 1);
            long afterFirstBatch = sampledAt.stream().filter(t -> t.isAfter(first)).count() / 2;   // 2 samples a prompt
            double seconds = Duration.between(first, last).toMillis() / 1e3;
            awaitCaughtUp(lag, Duration.ofSeconds(300));
            double sustainable = afterFirstBatch / seconds;
            double burstRate = 10 * sustainable;
            int burstPrompts = (int) Math.round(burstRate * burstSeconds);
            long baseline = gc.liveHeapAfterFullGc();
            log.info("sustainable rate {} prompts/s ({} prompts sampled in the {} s after the first batch); burst {} "
                            + "prompts/s for {} s = {} prompts; live heap before {} MiB", fmt(sustainable), afterFirstBatch,
                    fmt(seconds),
                    fmt(burstRate), burstSeconds, burstPrompts, baseline / MIB);

            // When: the burst, paced at ten times that rate
            gc.reset();
            long burstStart = System.nanoTime();
            for (int i = 0; i < burstPrompts; i++) {
                long due = burstStart + (long) (i / burstRate * 1e9);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                send(producer, topics, "burst", i, 1);
            }
            producer.flush();
            double sentIn = (System.nanoTime() - burstStart) / 1e9;
            long backlog = lag.prompts();
            long liveAtPeak = gc.liveHeapAfterFullGc();
            long burstEnd = System.nanoTime();

            // Then: the loop catches up: every prompt sampled, every sample scored, every decided group paired,
            // every consumer group's offsets committed past its input
            Map<String, List<Sample>> groups = groupsOf(samples.until(all -> count(all, "burst-") == 2L * burstPrompts,
                    Duration.ofSeconds(600)));
            Set<String> sampleIds = groups.values().stream().flatMap(List::stream).map(Sample::getSampleId)
                    .collect(Collectors.toSet());
            List<Score> burstScores = scores.until(all -> all.stream()
                            .filter(e -> sampleIds.contains(e.value().getSampleId())).count() >= sampleIds.size(),
                    Duration.ofSeconds(600)).stream().map(TopicLog.Entry::value)
                    .filter(sc -> sampleIds.contains(sc.getSampleId())).toList();
            Set<String> decided = burstScores.stream().collect(Collectors.groupingBy(Score::getPromptId)).entrySet()
                    .stream().filter(e -> e.getValue().stream().map(Score::getReward).distinct().count() > 1)
                    .map(Map.Entry::getKey).collect(Collectors.toSet());
            pairs.until(all -> all.stream().map(e -> e.value().getPromptId()).collect(Collectors.toSet())
                    .containsAll(decided), Duration.ofSeconds(600));
            awaitCaughtUp(lag, Duration.ofSeconds(600));
            double catchUp = (System.nanoTime() - burstEnd) / 1e9;
            log.info("the backlog of {} prompts drained at {} prompts/s", backlog, fmt(backlog / catchUp));
            long liveAfter = gc.liveHeapAfterFullGc();
            log.info("burst of {} prompts sent in {} s; prompt backlog at its end {}; caught up {} s after it; live heap "
                            + "before/at the backlog/after: {}/{}/{} MiB; highest heap after any collection during the "
                            + "burst {} MiB of {} MiB; resident set {} MiB", burstPrompts, fmt(sentIn), backlog,
                    fmt(catchUp), baseline / MIB, liveAtPeak / MIB, liveAfter / MIB, gc.highest() / MIB,
                    Runtime.getRuntime().maxMemory() / MIB, residentMib());

            // the burst waited in Kafka: a backlog built up, and the live heap did not grow with it
            assertThat(backlog).as("prompts waiting in Kafka when the burst ended").isPositive();
            assertThat(liveAtPeak - baseline).as("live heap growth while %d prompts waited", backlog)
                    .isLessThan(LIVE_HEAP_GROWTH_LIMIT);
            assertThat(liveAfter - baseline).as("live heap growth after catching up").isLessThan(LIVE_HEAP_GROWTH_LIMIT);

            // nothing lost, nothing doubled: a group of 2 per prompt, one score per sample, one pair per decided group
            groups = groupsOf(samples.all());
            assertThat(groups).hasSize(burstPrompts).allSatisfy((id, group) -> assertThat(group).hasSize(2));
            assertThat(scores.all().stream().map(e -> e.value().getSampleId()).filter(sampleIds::contains).toList())
                    .hasSize(sampleIds.size());
            List<String> paired = pairs.all().stream().map(e -> e.value().getPromptId())
                    .filter(id -> id.startsWith("burst-")).toList();
            assertThat(paired).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(decided);
            assertThat(loop.stoppedOnTheirOwn()).isEmpty();
        } finally {
            gc.close();
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    private static void send(KafkaProducer<byte[], byte[]> producer, Topics topics, String kind, int from, int n) {
        var t = topics.prompts();
        for (int i = from; i < from + n; i++) {
            String id = kind + "-" + i;
            Prompt p = Prompt.newBuilder().setPromptId(id).setCreatedAt(Instant.now())
                    .setText("Reverse the list: " + i % 10 + " " + (i / 10) % 10 + " 3").build();
            producer.send(new ProducerRecord<>(t.name(), id.getBytes(StandardCharsets.UTF_8),
                    t.valueSerde().serializer().serialize(t.name(), p)));
        }
    }

    private static Map<String, List<Sample>> groupsOf(List<TopicLog.Entry<Sample>> all) {
        return all.stream().map(TopicLog.Entry::value).filter(s -> s.getPromptId().startsWith("burst-"))
                .collect(Collectors.groupingBy(Sample::getPromptId));
    }

    private static long count(List<TopicLog.Entry<Sample>> all, String prefix) {
        return all.stream().filter(e -> e.value().getPromptId().startsWith(prefix)).count();
    }

    private static void awaitCaughtUp(Lag lag, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!lag.caughtUp()) {
            assertThat(System.nanoTime()).as("every consumer group caught up within %s: %s", timeout, lag.describe())
                    .isLessThan(deadline);
            Thread.sleep(250);
        }
    }

    private static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.1f", v);
    }

    private static long residentMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            // not Linux: the resident set is not reported
        }
        return -1;
    }

    /**
     * How far each consumer group of the loop is behind its input: a group has caught up when its committed offset
     * on every partition is past the last record written there (transaction markers are not records).
     */
    private static final class Lag {
        private final Admin admin;
        private final Map<String, List<String>> inputs;
        private String last = "";

        Lag(Admin admin, Topics topics) {
            this.admin = admin;
            this.inputs = Map.of("generator", List.of(topics.prompts().name()),
                    "scorer-length", List.of(topics.samples().name()),
                    "pair-builder", List.of(topics.samples().name(), topics.scores().name()),
                    "learner", List.of(topics.pairs().name()));
        }

        /** Prompts published and not yet committed by the generator. */
        long prompts() throws Exception {
            return behind("generator", inputs.get("generator"), false);
        }

        boolean caughtUp() throws Exception {
            StringBuilder s = new StringBuilder();
            boolean all = true;
            for (var e : inputs.entrySet()) {
                long behind = behind(e.getKey(), e.getValue(), true);
                s.append(e.getKey()).append(' ').append(behind).append("; ");
                all &= behind == 0;
            }
            last = s.toString();
            return all;
        }

        String describe() {
            return last;
        }

        /**
         * Records behind, summed over partitions; with {@code markers}, a gap of one or two offsets left by
         * transaction markers after the last record does not count.
         */
        private long behind(String group, List<String> topics, boolean markers) throws Exception {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
            for (String topic : topics) {
                for (var p : admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()) {
                    specs.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
                }
            }
            long sum = 0;
            for (var e : admin.listOffsets(specs).all().get().entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                long behind = e.getValue().offset() - (c == null ? 0 : c.offset());
                sum += markers && behind <= 1 && c != null ? 0 : Math.max(0, behind);
            }
            return sum;
        }
    }

    /** The heap in use after each collection, and after a full collection on demand. */
    private static final class GcWatch implements AutoCloseable {
        private final AtomicLong highest = new AtomicLong();
        private final NotificationListener listener = (n, handback) -> {
            if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                var info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                long used = info.getGcInfo().getMemoryUsageAfterGc().values().stream().mapToLong(MemoryUsage::getUsed).sum();
                highest.accumulateAndGet(used, Math::max);
            }
        };

        GcWatch() {
            for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
                ((NotificationEmitter) bean).addNotificationListener(listener, null, null);
            }
        }

        void reset() {
            highest.set(0);
        }

        long highest() {
            return highest.get();
        }

        long liveHeapAfterFullGc() {
            System.gc();
            return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        }

        @Override
        public void close() throws Exception {
            for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
                try {
                    ((NotificationEmitter) bean).removeNotificationListener(listener);
                } catch (javax.management.ListenerNotFoundException e) {
                    // not registered on this one
                }
            }
        }
    }
}

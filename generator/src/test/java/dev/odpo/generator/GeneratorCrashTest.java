package dev.odpo.generator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.Prompt;
import dev.odpo.events.Sample;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.policy.LocalCheckpointStore;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once across a crash: the generator runs as its own JVM ({@link Main}) against a real broker and
 * schema registry, is killed with SIGKILL while prompts keep arriving, and a second instance with the same
 * generator id takes over (fencing the first and aborting its open transaction). Read with
 * {@code read_committed}, every prompt has exactly one group of N samples. The second instance is then
 * stopped with SIGTERM, as kill, systemd or Kubernetes stop it, and exits cleanly with every offset committed.
 */
class GeneratorCrashTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    private static final int PROMPTS = 60;
    private static final int FIRST_PHASE = 12;
    private static final int N = 4;

    @TempDir
    Path work;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killLeftovers() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void eachPromptHasExactlyOneCommittedGroupAfterTheGeneratorIsKilledMidStream() throws Exception {
        // Given: 3 partitions, a real registry, v0 announced, and a steady stream of prompts
        KafkaSettings kafka = KafkaSettings.local(KAFKA.bootstrapServers(), KAFKA.registryUrl()).withTopicPrefix("crash.");
        Topics topics = kafka.topics();
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            admin.createMissing(topics.all());
        }
        LocalCheckpointStore store = new LocalCheckpointStore(work.resolve("checkpoints"));
        AtomicInteger produced = new AtomicInteger();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.rawProducer("test"))) {
            TinyPolicies.publishAndAnnounce(store, producer, topics.checkpoints(), "policy", 0, null);
            for (int i = 0; i < FIRST_PHASE; i++) {
                send(producer, topics, i);
                produced.incrementAndGet();
            }
        }
        Thread feeder = new Thread(() -> feed(kafka, topics, produced), "test-feeder");
        Path log = work.resolve("generator.log");
        try (TopicReader<Sample> committed = TopicReader.committed(kafka, topics.samples())) {
            // When: instance A serves a few batches, then is killed (SIGKILL) while prompts still arrive
            Process a = startGenerator(kafka, store, log);
            waitFor(() -> committed.poll().size() >= 3 * N, Duration.ofSeconds(120), "instance A's first groups", log);
            feeder.start();
            waitFor(() -> produced.get() >= FIRST_PHASE + 6, Duration.ofSeconds(30), "live input to instance A", log);
            a.destroyForcibly();
            assertThat(a.waitFor(10, TimeUnit.SECONDS)).isTrue();
            int groupsAtKill = committed.poll().size() / N;
            int producedAtKill = produced.get();
            assertThat(groupsAtKill).as("the kill must land mid-stream").isLessThan(PROMPTS);

            // ... and instance B, with the same generator id, takes over
            Process b = startGenerator(kafka, store, log);
            feeder.join(TimeUnit.MINUTES.toMillis(2));
            waitFor(() -> committed.poll().size() >= PROMPTS * N, Duration.ofSeconds(180), "all groups", log);
            List<Sample> samples = committed.drain(Duration.ofSeconds(3));

            // Then: every prompt has exactly one group, complete, each index once
            Map<String, List<Sample>> byPrompt = samples.stream().collect(Collectors.groupingBy(Sample::getPromptId));
            assertThat(byPrompt).hasSize(PROMPTS);
            byPrompt.forEach((prompt, g) -> {
                assertThat(g).as(prompt).extracting(Sample::getGroupId).containsOnly(g.get(0).getGroupId());
                assertThat(g).as(prompt).extracting(Sample::getIndexInGroup).containsExactlyInAnyOrder(0, 1, 2, 3);
            });
            try (TopicReader<Sample> all = new TopicReader<>(kafka, topics.samples(), "read_uncommitted")) {
                int uncommitted = all.drain(Duration.ofSeconds(3)).size();
                System.out.printf("exactly-once check: killed with %d groups committed and %d/%d prompts produced; "
                                + "read_committed %d samples, read_uncommitted %d (aborted writes of the killed instance: %d)%n",
                        groupsAtKill, producedAtKill, PROMPTS, samples.size(), uncommitted, uncommitted - samples.size());
            }

            // ... and B, stopped with SIGTERM, exits cleanly with the last prompt's offsets committed
            new ProcessBuilder("kill", "-TERM", Long.toString(b.pid())).inheritIO().start().waitFor();
            assertThat(b.waitFor(60, TimeUnit.SECONDS)).as("stopped within 60 s").isTrue();
            // (143 = 128 + SIGTERM: the JVM's status after its shutdown hooks ran)
            assertThat(b.exitValue()).isIn(0, 143);
            String output = Files.readString(log);
            assertThat(output.substring(output.lastIndexOf("shutdown requested")))
                    .contains("generator: stopped after").doesNotContain("ERROR");
            try (Admin admin = Admin.create(kafka.admin("check"))) {
                Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets("crash-test")
                        .partitionsToOffsetAndMetadata().get();
                assertThat(offsets.values().stream().mapToLong(OffsetAndMetadata::offset).sum())
                        .as("committed offsets (transaction markers included)").isGreaterThanOrEqualTo(PROMPTS);
            }
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, Topics topics, int i) {
        Prompt p = Prompt.newBuilder().setPromptId("p" + i).setCreatedAt(Instant.now()).setText("Reverse: " + i + " 7").build();
        producer.send(new ProducerRecord<>(topics.prompts().name(), p.getPromptId().getBytes(StandardCharsets.UTF_8),
                topics.prompts().valueSerde().serializer().serialize(topics.prompts().name(), p)));
    }

    private static void feed(KafkaSettings kafka, Topics topics, AtomicInteger produced) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.rawProducer("test-feeder"))) {
            for (int i = FIRST_PHASE; i < PROMPTS; i++) {
                send(producer, topics, i);
                producer.flush();
                produced.incrementAndGet();
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts Main in a child JVM, configured by a properties file, output appended to {@code log}. */
    private Process startGenerator(KafkaSettings kafka, LocalCheckpointStore store, Path log) throws IOException {
        Path config = work.resolve("generator.properties");
        Properties p = new Properties();
        p.setProperty("bootstrap.servers", kafka.bootstrapServers());
        p.setProperty("schema.registry.url", kafka.registryUrl());
        p.setProperty("topic.prefix", "crash.");
        p.setProperty("checkpoint.dir", store.root().toString());
        p.setProperty("generator.id", "generator-crash-test");
        p.setProperty("generator.group.id", "crash-test");
        p.setProperty("generator.n", Integer.toString(N));
        p.setProperty("generator.max.new.tokens", "8");
        p.setProperty("generator.batch.size", "4");
        p.setProperty("generator.progress.interval", "2s");
        p.setProperty("kafka.session.timeout.ms", "6000");
        p.setProperty("kafka.heartbeat.interval.ms", "1000");
        try (Writer w = Files.newBufferedWriter(config)) {
            p.store(w, "generator under test");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "--config", config.toString());
        pb.environment().keySet().removeIf(k -> k.startsWith("ODPO_"));
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process process = pb.start();
        processes.add(process);
        return process;
    }

    private static void waitFor(BooleanSupplier condition, Duration timeout, String what, Path log)
            throws InterruptedException, IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                List<String> lines = Files.readAllLines(log);
                throw new AssertionError("timed out waiting for " + what + "; generator log tail:\n"
                        + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size())));
            }
            Thread.sleep(100);
        }
    }
}

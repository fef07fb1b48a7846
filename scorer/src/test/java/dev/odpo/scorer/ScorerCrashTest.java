package dev.odpo.scorer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once across a crash: the scorer runs as its own JVM ({@link Main}) against a real broker and
 * schema registry, is killed with SIGKILL while samples keep arriving, and a restarted instance (same
 * instance id, so it fences the dead one and aborts its open transaction) takes over. Read with
 * isolation.level=read_committed, every sample has exactly one score.
 *
 * <p>With the scores published outside a transaction and the offsets committed after them (at least once),
 * this test failed: the restarted instance scored again every sample of the batch the kill interrupted.
 */
class ScorerCrashTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    private static final int SAMPLES = 240;
    private static final int FIRST_PHASE = 80;

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

    private static Sample sample(int i) {
        String answer = Integer.toString(i % 50);
        return Samples.sample().setSampleId("s" + i).setPromptId("p" + i / 4).setGroupId("g" + i / 4).setGroupSize(4)
                .setIndexInGroup(i % 4).setPromptText("What is " + i % 50 + " + 0?").setTask("arithmetic")
                .setReferenceAnswer(answer).setResponseText(i % 3 == 0 ? answer : "The answer is " + (i % 7)).build();
    }

    @Test
    void aKilledAndRestartedScorerNeitherLosesNorDuplicatesCommittedScores() throws Exception {
        // Given: a backlog of samples, and more arriving one every 10 ms once the scorer runs; batches of
        // two, so the scorer spends much of its time inside transactions and the kill is likely to land in one
        ScorerKafka k = new ScorerKafka(KAFKA.bootstrapServers(), KAFKA.registryUrl(), 2);
        AtomicInteger produced = new AtomicInteger();
        List<Sample> all = new ArrayList<>();
        for (int i = 0; i < SAMPLES; i++) {
            all.add(sample(i));
        }
        k.produce(all.subList(0, FIRST_PHASE));
        produced.set(FIRST_PHASE);
        Thread producer = new Thread(() -> {
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(k.kafka.rawProducer("test-stream"))) {
                for (int i = FIRST_PHASE; i < SAMPLES; i++) {
                    p.send(k.record(all.get(i).getPromptId(), all.get(i)));
                    p.flush();
                    produced.incrementAndGet();
                    Thread.sleep(10);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "test-producer");
        Path config = work.resolve("scorer.properties");
        // The dead instance holds its partitions until its session times out: keep that short.
        Properties settings = k.properties(Map.of("scorer.components", "verifier,length-penalty",
                "scorer.length-penalty.lambda", "0.001", "scorer.name", "gold", "scorer.id", "scorer-gold-0",
                "scorer.batch.size", "2", "kafka.session.timeout.ms", "6000", "kafka.heartbeat.interval.ms", "1000"));
        try (Writer w = Files.newBufferedWriter(config)) {
            settings.store(w, "scorer under test");
        }
        Path log = work.resolve("scorer.log");

        // When: instance A scores part of the stream, is killed (SIGKILL) mid-stream, and B restarts it
        Process a = start(config, log);
        waitFor(() -> committed(k, 40) >= 40, Duration.ofSeconds(90), "instance A to commit 40 scores", log);
        producer.start();
        waitFor(() -> produced.get() >= FIRST_PHASE + 40, Duration.ofSeconds(30), "live input to instance A", log);
        a.destroyForcibly();
        assertThat(a.waitFor(10, TimeUnit.SECONDS)).isTrue();
        int producedAtKill = produced.get();
        assertThat(producedAtKill).as("the kill must land mid-stream").isLessThan(SAMPLES);
        start(config, log);
        producer.join(TimeUnit.MINUTES.toMillis(1));
        waitFor(() -> committed(k, SAMPLES) >= SAMPLES, Duration.ofSeconds(90), "all " + SAMPLES + " scores", log);
        Thread.sleep(1500); // a duplicate would be committed by now

        // Then: every sample scored exactly once
        List<ConsumerRecord<String, Score>> scores = k.scores("read_committed", got -> false, Duration.ofSeconds(3));
        assertThat(scores).extracting(r -> r.value().getSampleId()).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(all.stream().map(Sample::getSampleId).toList());
        List<ConsumerRecord<String, Score>> uncommitted = k.scores("read_uncommitted", got -> false, Duration.ofSeconds(2));
        System.out.printf("scorer crash check: killed with %d/%d samples produced; read_committed %d scores, "
                + "read_uncommitted %d records%n", producedAtKill, SAMPLES, scores.size(), uncommitted.size());
    }

    private static int committed(ScorerKafka k, int atLeast) {
        return k.scores("read_committed", got -> got.size() >= atLeast, Duration.ofSeconds(2)).size();
    }

    /** Starts Main in a child JVM, configured by a properties file, output appended to {@code log}. */
    private Process start(Path config, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "--config", config.toString());
        pb.environment().keySet().removeIf(key -> key.startsWith("ODPO_"));
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
                throw new AssertionError("timed out waiting for " + what + "; scorer log tail:\n"
                        + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size())));
            }
            Thread.sleep(200);
        }
    }
}

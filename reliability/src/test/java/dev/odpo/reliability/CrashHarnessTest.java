package dev.odpo.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.broker.EmbeddedKafka;
import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.LocalCheckpointStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * Given the loop on a tiny policy with the broker and each service its own JVM, and prompts flowing as
 * production traffic, when services are killed with SIGKILL at random (seeded) moments — the learner also
 * between writing a snapshot and announcing it — and restarted, and the broker is restarted mid-run on the same
 * data directory, then after the faults stop every group's lag returns to zero and an audit of every topic
 * ({@code read_committed}) and every announced snapshot finds nothing lost and nothing twice (see
 * {@link LoopAudit}).
 *
 * <p>In CI it makes a dozen kills and one broker restart. The long run is the same test with more:
 * {@code -Dcrash.kills=120} (and optionally {@code -Dcrash.broker.restarts}, {@code -Dcrash.seed},
 * {@code -Dcrash.gap.min.ms}, {@code -Dcrash.gap.max.ms}). Logs, GC logs and the summary stay under
 * {@code target/crash-harness/}.
 */
class CrashHarnessTest {

    private static final String POLICY = LoopFixture.POLICY;
    private static final String PREFIX = "crash.";
    private static final List<String> GROUPS = List.of("generator", "scorer-length", "pair-builder", "learner", "evaluator");

    private final int kills = Integer.getInteger("crash.kills", 12);
    private final int brokerRestarts = Integer.getInteger("crash.broker.restarts", Math.max(1, kills / 50));
    private final long seed = Long.getLong("crash.seed", 20261202L);
    private final long gapMin = Long.getLong("crash.gap.min.ms", 2_000L);
    private final long gapMax = Long.getLong("crash.gap.max.ms", 7_000L);

    @Test
    void afterRandomKillsAndABrokerRestartNothingIsLostAndNothingTwice() throws Exception {
        long t0 = System.nanoTime();
        int[] sentAndAcknowledged = new int[2];
        String loadBefore = loadAverage();
        Path dir = Path.of("target", "crash-harness",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))).toAbsolutePath();
        int[] ports = EmbeddedKafka.freeLoopbackPorts(3);
        String bootstrap = "127.0.0.1:" + ports[0];
        String registry = "http://127.0.0.1:" + ports[2];
        List<String> brokerArgs = List.of("--host", "127.0.0.1", "--port", "" + ports[0], "--controller-port", "" + ports[1],
                "--registry-port", "" + ports[2], "--data-dir", dir.resolve("broker").toString(),
                "--topic-prefix", PREFIX, "--partitions", "3");
        KafkaSettings kafka = KafkaSettings.local(bootstrap, registry).withTopicPrefix(PREFIX);
        LocalCheckpointStore store = new LocalCheckpointStore(dir.resolve("checkpoints"));

        LoopFixture settings = new LoopFixture(dir.resolve("settings"), Map.of("bootstrap.servers", bootstrap,
                "schema.registry.url", registry, "topic.prefix", PREFIX, "topic.partitions", "3",
                "checkpoint.dir", store.root().toString(),
                // a killed member's partitions move to its restarted self after 10 s rather than 45 s
                "kafka.session.timeout.ms", "10000"));
        // a group waits for its scores as long as a scorer may be down; a snapshot at least every 3 s
        settings.override("pair-builder", Map.of("pair-builder.group.timeout", "10m"));
        settings.override("learner", Map.of("learner.snapshot.interval", "3s"));

        Faults faults = new Faults(new Random(seed));
        LoopAudit.Report report;
        Duration drain;
        Map<String, Long> markerGap = new TreeMap<>();
        Map<String, Integer> starts;
        Map<String, Integer> heap;

        try (LoopProcesses loop = new LoopProcesses(dir, brokerArgs, settings);
             PromptTraffic traffic = new PromptTraffic(kafka)) {
            // Given: the broker, π0 (a tiny random policy) announced as v0, the five services, prompts flowing
            loop.startBroker(Duration.ofMinutes(3));
            try (KafkaProducer<byte[], byte[]> operator = new KafkaProducer<>(kafka.rawProducer("operator"))) {
                Announcements.announce(operator, kafka.topics().checkpoints(),
                        Announcements.of(TinyPolicy.publish(store, POLICY, 0), null, "operator"));
            }
            for (String service : LoopFixture.SERVICES) {
                loop.startService(service);
            }
            traffic.start(Duration.ofMillis(400));
            awaitAnnounced(kafka, 1, Duration.ofMinutes(4), loop);

            // When: services are killed at random moments and restarted, the broker restarted on its data
            faults.inflict(loop);
            traffic.stop();
            faults.settle(loop);

            // Then: every group's lag returns to zero once the faults stop
            try (GroupLag lag = new GroupLag(kafka)) {
                drain = lag.awaitZero(GROUPS, Duration.ofSeconds(3), Duration.ofMinutes(Math.max(5, kills / 10)));
                lag.gap(GROUPS).forEach((group, gaps) -> markerGap.put(group,
                        gaps.values().stream().mapToLong(g -> g[1] - g[0]).sum()));
            } catch (AssertionError e) {
                for (String s : LoopFixture.SERVICES) {
                    System.out.println("---- " + s + " log tail\n" + loop.tail(s, 30));
                }
                throw e;
            }
            for (String service : LoopFixture.SERVICES) {
                loop.stop(service, Duration.ofSeconds(60));
            }
            // ... and the audit of every topic and manifest finds nothing lost and nothing twice
            report = new LoopAudit(kafka, store, POLICY, 2, List.of("length")).run(traffic.acknowledged());
            starts = loop.starts();
            heap = loop.peakHeapMb();
            sentAndAcknowledged[0] = traffic.sent();
            sentAndAcknowledged[1] = traffic.acknowledged().size();
        }

        String summary = summary(faults, starts, heap, report, sentAndAcknowledged, drain, markerGap,
                Duration.ofNanos(System.nanoTime() - t0), loadBefore, loadAverage());
        System.out.println(summary);
        Files.writeString(dir.resolve("summary.txt"), summary);

        assertThat(report.lost()).as("lost").isEmpty();
        assertThat(report.duplicated()).as("duplicated").isEmpty();
        assertThat(report.wrong()).as("other findings").isEmpty();
        assertThat(faults.killed.values().stream().mapToInt(Integer::intValue).sum()).isGreaterThanOrEqualTo(kills);
        assertThat(faults.killed.keySet()).as("every service type killed").containsAll(LoopFixture.SERVICES);
        assertThat(faults.learnerBetweenWriteAndAnnounce).as("learner kills between snapshot write and announcement").isPositive();
        assertThat(faults.brokerRestarts).isEqualTo(brokerRestarts);
        assertThat(report.versionsVerified()).as("versions announced during the faults").isGreaterThan(2);
        assertThat(report.pairsTrained()).isPositive();
    }

    private static void awaitAnnounced(KafkaSettings kafka, long version, Duration timeout, LoopProcesses loop)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<CheckpointAnnouncement> all = Announcements.readAll(kafka, Duration.ofSeconds(30));
            if (Announcements.newest(all, POLICY).map(a -> a.getVersion() >= version).orElse(false)) {
                return;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("the loop did not announce v" + version + " within " + timeout + "; learner log:\n"
                + loop.tail("learner", 40));
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private String summary(Faults faults, Map<String, Integer> starts, Map<String, Integer> heap, LoopAudit.Report report,
                           int[] sentAndAcknowledged, Duration drain, Map<String, Long> markerGap, Duration total,
                           String loadBefore, String loadAfter) {
        StringBuilder s = new StringBuilder("\n== crash harness ==\n");
        s.append(String.format("%-14s %6s %7s %16s %14s%n", "process", "kills", "starts", "exited on own", "peak heap MB"));
        for (String p : starts.keySet()) {
            s.append(String.format("%-14s %6d %7d %16d %14s%n", p, faults.killed.getOrDefault(p, 0), starts.get(p),
                    faults.exitedOnTheirOwn.getOrDefault(p, 0),
                    heap.containsKey(p) ? heap.get(p) + " (of " + LoopProcesses.HEAP.substring(4) + ")" : "-"));
        }
        s.append(String.format("service kills %d (learner between snapshot write and announcement: %d), broker restarts %d, seed %d%n",
                faults.killed.values().stream().mapToInt(Integer::intValue).sum(), faults.learnerBetweenWriteAndAnnounce,
                faults.brokerRestarts, seed));
        s.append(String.format("prompts sent %d, acknowledged %d%n", sentAndAcknowledged[0], sentAndAcknowledged[1]));
        s.append(report.summary()).append('\n');
        s.append("consumer lag after the faults: 0 records in every group; offsets between committed and end that are only "
                + "aborted transactions and markers: ").append(markerGap).append('\n');
        s.append(String.format("faults for %d s, lag back to zero %d s after, whole run %d s; load average before %s, after %s%n",
                faults.duration.toSeconds(), drain.toSeconds(), total.toSeconds(), loadBefore, loadAfter));
        return s.toString();
    }

    /**
     * The faults, drawn from one seeded random source: a kill every {@code gapMin}–{@code gapMax} of a service
     * drawn from a shuffled bag of the five (so kills spread evenly), its restart after up to 1.5 s, and the
     * broker restarted at evenly spaced kills, by SIGKILL and SIGTERM in turn. Every other learner is started
     * freezing after its first snapshot write, and its kill waits for that point.
     */
    private final class Faults {

        final Map<String, Integer> killed = new TreeMap<>();
        final Map<String, Integer> exitedOnTheirOwn = new TreeMap<>();
        int learnerBetweenWriteAndAnnounce;
        int brokerRestarts;
        Duration duration = Duration.ZERO;

        private final Random random;
        private final List<String> bag = new ArrayList<>();
        private boolean learnerFreezes;

        Faults(Random random) {
            this.random = random;
        }

        void inflict(LoopProcesses loop) throws IOException, InterruptedException {
            long t0 = System.nanoTime();
            List<Integer> brokerAt = new ArrayList<>();
            for (int r = 1; r <= CrashHarnessTest.this.brokerRestarts; r++) {
                brokerAt.add(r * kills / (CrashHarnessTest.this.brokerRestarts + 1));
            }
            for (int k = 0; k < kills; k++) {
                Thread.sleep(gapMin + (long) (random.nextDouble() * (gapMax - gapMin)));
                restartWhatExited(loop);
                if (brokerAt.contains(k)) {
                    restartBroker(loop);
                }
                if (bag.isEmpty()) {
                    bag.addAll(LoopFixture.SERVICES);
                    Collections.shuffle(bag, random);
                }
                String victim = bag.remove(0);
                System.out.printf("[crash] kill %d/%d: ", k + 1, kills);
                kill(loop, victim);
                Thread.sleep((long) (random.nextDouble() * 1500));
                if (victim.equals("learner")) {
                    learnerFreezes = !learnerFreezes;
                    startLearner(loop);
                } else {
                    loop.startService(victim);
                }
            }
            duration = Duration.ofNanos(System.nanoTime() - t0);
        }

        /** After the last fault: a learner left to freeze is killed at that point, and everything runs. */
        void settle(LoopProcesses loop) throws IOException, InterruptedException {
            if (learnerFreezes) {
                kill(loop, "learner");
                learnerFreezes = false;
                startLearner(loop);
            }
            restartWhatExited(loop);
        }

        private void restartBroker(LoopProcesses loop) throws IOException, InterruptedException {
            boolean sigkill = brokerRestarts % 2 == 0;
            System.out.printf("[crash] restarting the broker (%s)%n", sigkill ? "SIGKILL" : "SIGTERM");
            if (sigkill) {
                loop.kill(LoopProcesses.BROKER);
            } else {
                loop.stop(LoopProcesses.BROKER, Duration.ofSeconds(60));
            }
            Thread.sleep((long) (random.nextDouble() * 3000));
            loop.startBroker(Duration.ofMinutes(3));
            brokerRestarts++;
        }

        private void kill(LoopProcesses loop, String victim) throws IOException, InterruptedException {
            String how = "at a random moment";
            if (victim.equals("learner") && learnerFreezes && awaitFrozen(loop, Duration.ofMinutes(2))) {
                how = "between writing a snapshot and announcing it";
                learnerBetweenWriteAndAnnounce++;
            }
            System.out.printf("SIGKILL %s %s%n", victim, how);
            loop.kill(victim);
            killed.merge(victim, 1, Integer::sum);
        }

        private void startLearner(LoopProcesses loop) throws IOException {
            if (learnerFreezes) {
                loop.startFreezingLearner();
            } else {
                loop.startService("learner");
            }
        }

        /** A service that exited by itself (it should not) is restarted, as a supervisor would, and counted. */
        private void restartWhatExited(LoopProcesses loop) throws IOException {
            for (String service : LoopFixture.SERVICES) {
                Integer code = loop.exitedOnItsOwn(service);
                if (code != null) {
                    System.out.printf("[crash] %s exited on its own (code %d); restarting it. Log tail:%n%s%n",
                            service, code, loop.tail(service, 20));
                    exitedOnTheirOwn.merge(service, 1, Integer::sum);
                    if (service.equals("learner")) {
                        startLearner(loop);
                    } else {
                        loop.startService(service);
                    }
                }
            }
        }

        private boolean awaitFrozen(LoopProcesses loop, Duration timeout) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline && loop.alive("learner")) {
                if (loop.learnerFrozen()) {
                    return true;
                }
                Thread.sleep(100);
            }
            return false;
        }
    }
}

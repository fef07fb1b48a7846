package dev.odpo.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.Prompt;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.LocalCheckpointStore;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
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
        String loadBefore = loadAverage();
        Path dir = Path.of("target", "crash-harness",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))).toAbsolutePath();
        int[] ports = freePorts(3);
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

        Random random = new Random(seed);
        Map<String, Integer> killed = new TreeMap<>();
        Map<String, Integer> exitedOnTheirOwn = new TreeMap<>();
        int learnerBetweenWriteAndAnnounce = 0;
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicInteger sent = new AtomicInteger();
        LoopAudit.Report report;
        Duration chaos;
        Duration drain;
        Map<String, Long> markerGap = new TreeMap<>();
        Map<String, Integer> starts;
        Map<String, Integer> heap;
        ScheduledExecutorService traffic = Executors.newSingleThreadScheduledExecutor();

        try (LoopProcesses loop = new LoopProcesses(dir, brokerArgs, settings)) {
            // Given: the broker, π0 (a tiny random policy) announced as v0, the five services, prompts flowing
            loop.startBroker(Duration.ofMinutes(3));
            try (KafkaProducer<byte[], byte[]> operator = new KafkaProducer<>(kafka.rawProducer("operator"))) {
                Announcements.announce(operator, kafka.topics().checkpoints(),
                        Announcements.of(TinyPolicy.publish(store, POLICY, 0), null, "operator"));
            }
            for (String service : LoopFixture.SERVICES) {
                loop.startService(service);
            }
            KafkaProducer<byte[], byte[]> client = new KafkaProducer<>(promptClient(kafka));
            Topic<String, Prompt> prompts = kafka.topics().prompts();
            traffic.scheduleAtFixedRate(() -> {
                int i = sent.getAndIncrement();
                Prompt p = Prompt.newBuilder().setPromptId("crash-" + i).setCreatedAt(Instant.now())
                        .setText("Reverse the list: " + (i % 7) + " " + (i % 3) + " " + (i % 5)).build();
                try {
                    client.send(new ProducerRecord<>(prompts.name(), prompts.keySerde().serializer().serialize(prompts.name(), p.getPromptId()),
                            prompts.valueSerde().serializer().serialize(prompts.name(), p)), (meta, error) -> {
                        if (error == null) {
                            acknowledged.add(p.getPromptId());
                        }
                    });
                } catch (RuntimeException e) {
                    // not acknowledged, so not expected on the topic; the traffic goes on
                    System.out.println("[crash] prompt " + p.getPromptId() + " not sent: " + e);
                }
            }, 0, 400, TimeUnit.MILLISECONDS);
            awaitAnnounced(kafka, 1, Duration.ofMinutes(4), loop);

            // When: services are killed at random moments and restarted, the broker restarted on its data
            long chaosStart = System.nanoTime();
            List<String> bag = new ArrayList<>();
            boolean learnerFreezes = false;
            List<Integer> brokerAt = new ArrayList<>();
            for (int r = 1; r <= brokerRestarts; r++) {
                brokerAt.add(r * kills / (brokerRestarts + 1));
            }
            int brokerRestarted = 0;
            for (int k = 0; k < kills; k++) {
                Thread.sleep(gapMin + (long) (random.nextDouble() * (gapMax - gapMin)));
                restartWhatExited(loop, exitedOnTheirOwn, learnerFreezes);
                if (brokerAt.contains(k)) {
                    boolean sigkill = brokerRestarted % 2 == 0;
                    System.out.printf("[crash] restarting the broker (%s)%n", sigkill ? "SIGKILL" : "SIGTERM");
                    if (sigkill) {
                        loop.kill(LoopProcesses.BROKER);
                    } else {
                        loop.stop(LoopProcesses.BROKER, Duration.ofSeconds(60));
                    }
                    Thread.sleep((long) (random.nextDouble() * 3000));
                    loop.startBroker(Duration.ofMinutes(3));
                    brokerRestarted++;
                }
                if (bag.isEmpty()) {
                    bag.addAll(LoopFixture.SERVICES);
                    Collections.shuffle(bag, random);
                }
                String victim = bag.remove(0);
                String how = "at a random moment";
                if (victim.equals("learner") && learnerFreezes) {
                    if (awaitFrozen(loop, Duration.ofMinutes(2))) {
                        how = "between writing a snapshot and announcing it";
                        learnerBetweenWriteAndAnnounce++;
                    }
                }
                System.out.printf("[crash] kill %d/%d: SIGKILL %s %s%n", k + 1, kills, victim, how);
                loop.kill(victim);
                killed.merge(victim, 1, Integer::sum);
                Thread.sleep((long) (random.nextDouble() * 1500));
                if (victim.equals("learner")) {
                    learnerFreezes = !learnerFreezes;
                    startLearner(loop, learnerFreezes);
                } else {
                    loop.startService(victim);
                }
            }
            chaos = Duration.ofNanos(System.nanoTime() - chaosStart);
            traffic.shutdown();
            traffic.awaitTermination(10, TimeUnit.SECONDS);
            client.flush();
            client.close(Duration.ofSeconds(60));
            // a learner left waiting between write and announcement is one more kill at that point
            if (learnerFreezes) {
                if (awaitFrozen(loop, Duration.ofMinutes(2))) {
                    learnerBetweenWriteAndAnnounce++;
                }
                System.out.println("[crash] SIGKILL learner (the last freezing one)");
                loop.kill("learner");
                killed.merge("learner", 1, Integer::sum);
                startLearner(loop, false);
            }
            restartWhatExited(loop, exitedOnTheirOwn, false);

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
            report = new LoopAudit(kafka, store, POLICY, 2, List.of("length")).run(acknowledged);
            starts = loop.starts();
            heap = loop.peakHeapMb();
        } finally {
            traffic.shutdownNow();
        }

        String summary = summary(killed, learnerBetweenWriteAndAnnounce, brokerRestarts, exitedOnTheirOwn, starts, heap,
                report, sent.get(), acknowledged.size(), chaos, drain, markerGap, Duration.ofNanos(System.nanoTime() - t0),
                loadBefore, loadAverage());
        System.out.println(summary);
        Files.writeString(dir.resolve("summary.txt"), summary);

        assertThat(report.lost()).as("lost").isEmpty();
        assertThat(report.duplicated()).as("duplicated").isEmpty();
        assertThat(report.wrong()).as("other findings").isEmpty();
        assertThat(killed.values().stream().mapToInt(Integer::intValue).sum()).isGreaterThanOrEqualTo(kills);
        assertThat(killed.keySet()).as("every service type killed").containsAll(LoopFixture.SERVICES);
        assertThat(learnerBetweenWriteAndAnnounce).as("learner kills between snapshot write and announcement").isPositive();
        assertThat(report.versionsVerified()).as("versions announced during the faults").isGreaterThan(2);
        assertThat(report.pairsTrained()).isPositive();
    }

    private static void startLearner(LoopProcesses loop, boolean freezing) throws IOException {
        if (freezing) {
            loop.startFreezingLearner();
        } else {
            loop.startService("learner");
        }
    }

    /** A service that exited by itself (it should not) is restarted, as a supervisor would, and counted. */
    private static void restartWhatExited(LoopProcesses loop, Map<String, Integer> exited, boolean learnerFreezes)
            throws IOException {
        for (String service : LoopFixture.SERVICES) {
            Integer code = loop.exitedOnItsOwn(service);
            if (code != null) {
                System.out.printf("[crash] %s exited on its own (code %d); restarting it. Log tail:%n%s%n",
                        service, code, loop.tail(service, 20));
                exited.merge(service, 1, Integer::sum);
                if (service.equals("learner")) {
                    startLearner(loop, learnerFreezes);
                } else {
                    loop.startService(service);
                }
            }
        }
    }

    private static boolean awaitFrozen(LoopProcesses loop, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && loop.alive("learner")) {
            if (loop.learnerFrozen()) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
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

    /** The client that sends prompts: idempotent, and it keeps retrying while the broker restarts. */
    private static java.util.Properties promptClient(KafkaSettings kafka) {
        java.util.Properties p = kafka.rawProducer("prompts");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "600000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "600000");
        return p;
    }

    private static int[] freePorts(int n) throws IOException {
        int[] ports = new int[n];
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0);
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
        return ports;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String summary(Map<String, Integer> killed, int learnerWriteKills, int brokerRestarts,
                                  Map<String, Integer> exited, Map<String, Integer> starts, Map<String, Integer> heap,
                                  LoopAudit.Report report, int sent, int acknowledged, Duration chaos, Duration drain,
                                  Map<String, Long> markerGap,
                                  Duration total, String loadBefore, String loadAfter) {
        StringBuilder s = new StringBuilder("\n== crash harness ==\n");
        s.append(String.format("%-14s %6s %7s %16s %14s%n", "process", "kills", "starts", "exited on own", "peak heap MB"));
        for (String p : new java.util.TreeSet<>(starts.keySet())) {
            s.append(String.format("%-14s %6d %7d %16d %14s%n", p, killed.getOrDefault(p, 0), starts.get(p),
                    exited.getOrDefault(p, 0), heap.containsKey(p) ? heap.get(p) + " (of " + LoopProcesses.HEAP.substring(4) + ")" : "-"));
        }
        s.append(String.format("service kills %d (learner between snapshot write and announcement: %d), broker restarts %d%n",
                killed.values().stream().mapToInt(Integer::intValue).sum(), learnerWriteKills, brokerRestarts));
        s.append(String.format("prompts sent %d, acknowledged %d%n", sent, acknowledged));
        s.append(report.summary()).append('\n');
        s.append("consumer lag after the faults: 0 records in every group; offsets between committed and end that are only "
                + "aborted transactions and markers: ").append(markerGap).append('\n');
        s.append(String.format("faults for %d s, lag back to zero %d s after, whole run %d s; load average before %s, after %s%n",
                chaos.toSeconds(), drain.toSeconds(), total.toSeconds(), loadBefore, loadAfter));
        return s.toString();
    }
}

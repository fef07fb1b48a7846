package dev.odpo.reliability;

import dev.odpo.cli.OdpoCli;
import dev.odpo.learner.CrashingLearner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The broker and the five services of the loop, each its own JVM started as {@code odpo} starts it
 * ({@code OdpoCli broker …}, {@code OdpoCli run <service> --config FILE}), each with a modest heap, one PyTorch
 * thread and a GC log, its output appended to {@code <name>.log}. A learner may instead run as
 * {@link CrashingLearner}, which stops dead after writing its first snapshot and before announcing it, so that
 * it can be killed exactly there. {@link #kill} is SIGKILL ({@link Process#destroyForcibly()} on Linux): no
 * shutdown hook, no clean-up.
 */
final class LoopProcesses implements AutoCloseable {

    static final String BROKER = "broker";
    /** Heap ceiling of every child JVM. */
    static final String HEAP = "-Xmx320m";

    private static final Pattern GC_LINE = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");

    private final Path dir;
    private final List<String> brokerArgs;
    private final LoopFixture settings;
    private final Map<String, Process> running = new LinkedHashMap<>();
    private final Map<String, Integer> starts = new TreeMap<>();
    private final Map<String, Path> progress = new TreeMap<>();

    /**
     * @param dir        where logs, GC logs and progress files go
     * @param brokerArgs the arguments of {@code odpo broker} (ports and data directory fixed, so that a restart
     *                   comes back where the clients look for it, with every topic, offset and schema)
     * @param settings   the services' settings files
     */
    LoopProcesses(Path dir, List<String> brokerArgs, LoopFixture settings) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.brokerArgs = List.copyOf(brokerArgs);
        this.settings = settings;
    }

    /** Starts the broker and waits until its topics exist (a restart recovers its logs first). */
    void startBroker(Duration timeout) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of(OdpoCli.class.getName(), "broker"));
        args.addAll(brokerArgs);
        Path log = dir.resolve(BROKER + ".log");
        long from = Files.exists(log) ? Files.size(log) : 0;
        start(BROKER, args);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!logSince(log, from).contains("Topics created")) {
            if (!running.get(BROKER).isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the broker did not start; log tail:\n" + tail(log, 40));
            }
            Thread.sleep(200);
        }
    }

    /** Starts {@code service} as {@code odpo run <service> --config FILE}. */
    void startService(String service) throws IOException {
        start(service, List.of(OdpoCli.class.getName(), "run", service, "--config", settings.settings(service).toString()));
    }

    /** Starts the learner as {@link CrashingLearner}: it stops dead after writing its first snapshot. */
    void startFreezingLearner() throws IOException {
        Path p = dir.resolve("learner-" + (starts.getOrDefault("learner", 0) + 1) + ".progress");
        progress.put("learner", p);
        start("learner", List.of(CrashingLearner.class.getName(), settings.settings("learner").toString(),
                "written:first", p.toString()));
    }

    /** Whether the learner started by {@link #startFreezingLearner()} has stopped between write and announcement. */
    boolean learnerFrozen() throws IOException {
        Path p = progress.get("learner");
        return p != null && Files.exists(p) && Files.readAllLines(p).stream().anyMatch(l -> l.startsWith("frozen after writing"));
    }

    private void start(String name, List<String> mainAndArgs) throws IOException {
        int n = starts.merge(name, 1, Integer::sum);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, HEAP, "-XX:+UseSerialGC",
                "-Xlog:gc:file=" + dir.resolve(name + "-" + n + ".gc.log"),
                "-Dai.djl.offline=true", "-Djava.awt.headless=true",
                "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp", System.getProperty("java.class.path")));
        command.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("ODPO_"));
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile()));
        running.put(name, pb.start());
    }

    /** SIGKILL, and waits until the process is gone. */
    void kill(String name) throws InterruptedException {
        Process p = running.remove(name);
        if (p != null) {
            p.destroyForcibly();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError(name + " survived SIGKILL");
            }
        }
    }

    /** SIGTERM: the process commits what it holds and exits; SIGKILL if it has not after {@code grace}. */
    void stop(String name, Duration grace) throws InterruptedException {
        Process p = running.remove(name);
        if (p != null) {
            p.destroy();
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    boolean alive(String name) {
        Process p = running.get(name);
        return p != null && p.isAlive();
    }

    /** The exit code of a process that ended on its own, or null while it runs (or was never started). */
    Integer exitedOnItsOwn(String name) {
        Process p = running.get(name);
        return p == null || p.isAlive() ? null : p.exitValue();
    }

    /** How many times each process was started. */
    Map<String, Integer> starts() {
        return new TreeMap<>(starts);
    }

    /** The most heap each process used (before a collection, over all its runs), in MB, from the GC logs. */
    Map<String, Integer> peakHeapMb() throws IOException {
        Map<String, Integer> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".gc.log")).toList()) {
                String name = f.getFileName().toString().replaceAll("-\\d+\\.gc\\.log$", "");
                Matcher m = GC_LINE.matcher(Files.readString(f));
                while (m.find()) {
                    out.merge(name, Integer.parseInt(m.group(1)), Math::max);
                }
            }
        }
        return out;
    }

    /** The last {@code n} lines of a process's log. */
    String tail(String name, int n) throws IOException {
        return tail(dir.resolve(name + ".log"), n);
    }

    private static String tail(Path log, int n) throws IOException {
        if (!Files.exists(log)) {
            return "";
        }
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    private static String logSince(Path log, long from) throws IOException {
        if (!Files.exists(log)) {
            return "";
        }
        byte[] all = Files.readAllBytes(log);
        return new String(all, (int) Math.min(from, all.length), (int) Math.max(0, all.length - from),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Stops the services with SIGTERM, then the broker. */
    @Override
    public void close() throws InterruptedException {
        List<String> names = new ArrayList<>(running.keySet());
        names.remove(BROKER);
        for (String name : names) {
            stop(name, Duration.ofSeconds(30));
        }
        stop(BROKER, Duration.ofSeconds(30));
    }
}

package dev.odpo.learner;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Learners as child JVMs ({@link CrashingLearner}), each with its progress file; all killed on close. */
final class LearnerProcesses implements AutoCloseable {

    private final Path log;
    private final List<Process> processes = new ArrayList<>();

    /** @param log where every child's output is appended */
    LearnerProcesses(Path log) {
        this.log = log;
    }

    /** Starts a learner with the settings in {@code config} that freezes at {@code point} (or "none"). */
    Process start(Path config, String point, Path progress) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx384m", "-XX:+UseSerialGC", "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp", System.getProperty("java.class.path"), CrashingLearner.class.getName(),
                config.toString(), point, progress.toString());
        pb.environment().keySet().removeIf(k -> k.startsWith("ODPO_"));
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    /** SIGKILL: no shutdown hook, no clean-up. */
    static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    static List<String> lines(Path progress) {
        try {
            return Files.exists(progress) ? Files.readAllLines(progress) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Waits for {@code condition}; on timeout fails with the tail of the children's log. */
    void waitFor(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
                throw new AssertionError("timed out waiting for " + what + "; learner log tail:\n"
                        + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size())));
            }
            Thread.sleep(100);
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }
}

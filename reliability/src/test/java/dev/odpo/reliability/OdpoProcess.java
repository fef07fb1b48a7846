package dev.odpo.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code odpo ARGS} as the {@code ./odpo} launcher does: a JVM of its own on this test's classpath, with a
 * clean environment (no ODPO_* variables but those given), its output captured.
 */
final class OdpoProcess {

    /** What a finished command did. */
    record Result(List<String> args, int exitCode, String output) {

        /** What the command said besides log lines, progress bars and usage help: its error, if any. */
        List<String> errorLines() {
            List<String> out = new ArrayList<>();
            for (String line : output.split("[\r\n]")) {
                String l = line.strip();
                if (l.isEmpty() || l.matches("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} .*") || line.startsWith("  ")
                        || l.contains("%") && l.contains("[") || l.startsWith("Usage:")) {
                    continue;
                }
                out.add(l);
            }
            return out;
        }

        boolean printedAStackTrace() {
            return output.contains("\tat ") || output.contains("Exception in thread");
        }
    }

    private OdpoProcess() {
    }

    static Result run(Path workDir, List<String> args, Map<String, String> env, Duration timeout) throws IOException,
            InterruptedException {
        return run(workDir, args, env, timeout, "");
    }

    /** Runs the command with {@code input} on its standard input (then closed). */
    static Result run(Path workDir, List<String> args, Map<String, String> env, Duration timeout, String input)
            throws IOException, InterruptedException {
        String heap = "-Xmx256m";
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                heap, "-XX:+UseSerialGC", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
                "-cp", System.getProperty("java.class.path"), "dev.odpo.cli.OdpoCli"));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).directory(workDir.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("ODPO_"));
        pb.environment().put("USER", "tester");
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().putAll(env);
        Path output = Files.createTempFile(workDir, "odpo-", ".out");
        pb.redirectOutput(output.toFile());
        Process p = pb.start();
        try (var stdin = p.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            throw new AssertionError("odpo " + args + " did not end within " + timeout + ":\n" + Files.readString(output));
        }
        return new Result(args, p.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }
}

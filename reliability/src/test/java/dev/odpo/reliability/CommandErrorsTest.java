package dev.odpo.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@code odpo} command given a bad setting or a bad file, run as its own process exactly as the
 * {@code ./odpo} launcher runs it: it exits non-zero with a short error naming what was wrong, and prints no
 * stack trace unless ODPO_DEBUG is set. No broker is running: each failure must come before any wait for one.
 */
class CommandErrorsTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void badFiles() throws IOException {
        Files.writeString(dir.resolve("bad.properties"), "generator.n=lots\ntopic.partitions=zero\n");
        Files.writeString(dir.resolve("unknown.properties"), "no.such.setting=1\n");
        Files.writeString(dir.resolve("a-file"), "not a directory\n");
        Files.writeString(dir.resolve("store-is-a-file.properties"), "checkpoint.dir=" + dir.resolve("a-file") + "\n");
        Files.writeString(dir.resolve("no-reward-model.properties"),
                "scorer.components=reward-model\nscorer.reward-model.dir=" + dir.resolve("nowhere") + "\n");
        Files.writeString(dir.resolve("bad-loss.properties"), "learner.loss=squared-ish\n");
        Files.writeString(dir.resolve("bad-evaluator.properties"), "evaluator.prompts=-1\n");
        Files.writeString(dir.resolve("bad-pairs.properties"), "pair-builder.group.timeout=soon\n");
        Files.createDirectories(dir.resolve("garbage-model"));
        Files.writeString(dir.resolve("garbage-model").resolve("config.json"), "{ not json");
    }

    static Stream<List<String>> badCommands() {
        String d = dir.toString() + "/";
        return Stream.of(
                List.of("run", "generator", "--config", d + "missing.properties"),
                List.of("run", "generator", "--config", d + "bad.properties"),
                List.of("run", "generator", "--config", d + "store-is-a-file.properties"),
                List.of("run", "scorer", "--config", d + "unknown.properties"),
                List.of("run", "scorer", "--config", d + "no-reward-model.properties"),
                List.of("run", "pair-builder", "--config", d + "bad-pairs.properties"),
                List.of("run", "learner", "--config", d + "bad-loss.properties"),
                List.of("run", "evaluator", "--config", d + "bad-evaluator.properties"),
                List.of("run", "no-such-service"),
                List.of("topics", "create", "--config", d + "bad.properties"),
                List.of("topics", "describe", "--config", d + "missing.properties"),
                List.of("prompts", d + "missing.jsonl", "--bootstrap-servers", "127.0.0.1:1"),
                List.of("tail", "prompts", "--config", d + "bad.properties"),
                List.of("feedback", "--annotator", "ann", "--config", d + "bad.properties"),
                List.of("generate", "--model", d + "nowhere", "--prompt", "hi"),
                List.of("generate", "--model", d + "garbage-model", "--prompt", "hi"),
                List.of("generate", "--model", d + "garbage-model", "--prompt", "hi", "--temperature", "-1"),
                List.of("evaluate", "--model", d + "nowhere"),
                List.of("evaluate", "--model", d + "garbage-model"),
                List.of("checkpoints", "verify", d + "nowhere"),
                List.of("checkpoints", "verify", d + "garbage-model"),
                List.of("checkpoints", "list", "--config", d + "bad.properties"),
                List.of("checkpoints", "publish", "--model", d + "nowhere", "--policy", "p"),
                List.of("train-reward-model", "--base", d + "nowhere", "--out", d + "rm", "--label-policy-samples", "4"),
                List.of("sft", "--data-dir", d + "a-file", "--steps", "1", "--demonstrations", "8", "--eval-prompts", "0"),
                List.of("demo", "--loss", "nonsense"),
                List.of("demo", "--generators", "4"),
                List.of("broker", "--data-dir", d + "a-file", "--port", "0", "--registry-port", "0"));
    }

    @ParameterizedTest(name = "odpo {0}")
    @MethodSource("badCommands")
    void aBadSettingOrFileEndsTheCommandWithAShortErrorAndNoStackTrace(List<String> args) throws Exception {
        Result r = odpo(args, Map.of());

        assertThat(r.exitCode()).as("exit code of odpo %s\n%s", args, r.output()).isNotZero();
        assertThat(r.output()).as("output of odpo %s", args).doesNotContain("\tat ", "Exception in thread");
        assertThat(r.errorLines()).as("error lines of odpo %s", args).isNotEmpty().hasSizeLessThanOrEqualTo(4);
    }

    @Test
    void credentialsInTheSettingsNeverReachTheOutput() throws Exception {
        Path secrets = dir.resolve("secrets.properties");
        Files.writeString(secrets, String.join("\n",
                "checkpoint.dir=" + dir.resolve("a-file"),   // the start fails after the settings are logged
                "kafka.security.protocol=SASL_PLAINTEXT",
                "kafka.sasl.mechanism=SCRAM-SHA-256",
                "kafka.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"odpo\" password=\"kafka-s3cret\";",
                "registry.basic.auth.credentials.source=USER_INFO",
                "registry.basic.auth.user.info=odpo:registry-s3cret", ""));

        Result run = odpo(List.of("run", "generator", "--config", secrets.toString()), Map.of());
        Result settings = odpo(List.of("run", "generator", "--settings", "--config", secrets.toString()), Map.of());

        assertThat(run.output()).contains("kafka.sasl.jaas.config").doesNotContain("s3cret");
        assertThat(run.exitCode()).isNotZero();
        assertThat(settings.output()).doesNotContain("s3cret");
    }

    @Test
    void odpoDebugShowsTheStackTrace() throws Exception {
        Result r = odpo(List.of("generate", "--model", dir.resolve("garbage-model").toString(), "--prompt", "hi"),
                Map.of("ODPO_DEBUG", "1"));
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("\tat ");
    }

    private record Result(int exitCode, String output) {
        /** What the command said besides log lines, progress bars and usage help: the error itself. */
        List<String> errorLines() {
            List<String> out = new ArrayList<>();
            for (String line : output.split("[\r\n]")) {   // a progress bar redraws its line with \r
                String l = line.strip();
                if (l.isEmpty() || l.matches("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} .*") || line.startsWith("  ")
                        || l.contains("%") && l.contains("[") || l.startsWith("Usage:") || l.startsWith("loading ")) {
                    continue;
                }
                out.add(l);
                if (out.size() > 10) {
                    break;
                }
            }
            return out;
        }
    }

    /** Runs {@code odpo args} as the launcher does, in a JVM of its own with this test's classpath. */
    private static Result odpo(List<String> args, Map<String, String> env) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
                "-cp", System.getProperty("java.class.path"), "dev.odpo.cli.OdpoCli"));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("ODPO_"));
        pb.environment().put("USER", "tester");
        pb.environment().putAll(env);
        Path output = Files.createTempFile(dir, "odpo-", ".out");
        pb.redirectOutput(output.toFile());
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("odpo " + args + " did not end within 120 s:\n" + Files.readString(output));
        }
        return new Result(p.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }
}

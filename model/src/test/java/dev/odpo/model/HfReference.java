package dev.odpo.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs model/src/test/python/hf_reference.py with the repository's .venv-hf; skips the test when absent. */
final class HfReference {

  static final ObjectMapper JSON = new ObjectMapper();

  private HfReference() {}

  static Path python() {
    // -Dodpo.hf.python=PATH overrides the interpreter (e.g. to check that the tests skip without one)
    return Path.of(System.getProperty("odpo.hf.python", "../.venv-hf/bin/python")).toAbsolutePath().normalize();
  }

  /** Why the reference cannot run here (no venv), or null when it can. */
  static String missing() {
    return Files.isExecutable(python()) ? null : "no HF reference venv at " + python() + " (build it with .ci/hf-venv.sh)";
  }

  static Path script() {
    return Path.of("src", "test", "python", "hf_reference.py").toAbsolutePath();
  }

  /** Runs the script; returns a skip reason when torch/transformers are not importable (exit code 3), else null. */
  static String run(String... args) throws IOException, InterruptedException {
    String missing = missing();
    if (missing != null) {
      return missing;
    }
    List<String> cmd = new ArrayList<>(List.of(python().toString(), script().toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("OMP_NUM_THREADS", "1");
    pb.environment().put("TRANSFORMERS_OFFLINE", "1");
    pb.environment().put("HF_HUB_OFFLINE", "1");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
    if (p.exitValue() == 3) {
      return "transformers/torch not importable in " + python();
    }
    assertThat(p.exitValue()).as("hf_reference.py failed:\n" + new String(out, StandardCharsets.UTF_8)).isZero();
    return null;
  }

  static JsonNode read(Path file) throws IOException {
    return JSON.readTree(file.toFile());
  }

  static float[] floats(JsonNode arr) {
    float[] f = new float[arr.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) arr.get(i).asDouble();
    }
    return f;
  }

  static int[] ints(JsonNode arr) {
    int[] f = new int[arr.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = arr.get(i).asInt();
    }
    return f;
  }

  static List<int[]> rows(JsonNode arr) {
    List<int[]> out = new ArrayList<>();
    arr.forEach(r -> out.add(ints(r)));
    return out;
  }
}

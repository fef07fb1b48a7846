package dev.odpo.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * AdamW's state on disk, so training resumes where a snapshot left it: {@code adamw.safetensors} holds the
 * first and second moments of every weight ({@code exp_avg.<name>}, {@code exp_avg_sq.<name>}, F32, internal
 * fused names) and {@code adamw.json} the update count. Written into its own directory of a snapshot, not
 * beside the model's weights, so loaders that read every top-level {@code *.safetensors} never see it.
 */
public final class AdamWState {

  public static final String TENSORS = "adamw.safetensors";
  public static final String INFO = "adamw.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private AdamWState() {}

  /** Writes the moments and the update count of {@code optimizer} into {@code dir} (created). */
  public static void save(AdamW optimizer, Path dir) throws IOException {
    Files.createDirectories(dir);
    List<Safetensors.Output> out = new ArrayList<>();
    add(out, "exp_avg.", optimizer.firstMoments());
    add(out, "exp_avg_sq.", optimizer.secondMoments());
    Safetensors.write(dir.resolve(TENSORS), out);
    JSON.writeValue(dir.resolve(INFO).toFile(), JSON.createObjectNode().put("steps", optimizer.steps())
        .put("tensors", out.size()));
  }

  /**
   * Restores what {@link #save} wrote into {@code optimizer}, whose model must have the same weights' names and
   * shapes.
   *
   * @throws IOException naming the first tensor that is missing or has another shape
   */
  public static void load(AdamW optimizer, Path dir) throws IOException {
    Path file = dir.resolve(TENSORS);
    JsonNode info = JSON.readTree(dir.resolve(INFO).toFile());
    if (!info.path("steps").canConvertToLong() || info.path("steps").asLong() < 0) {
      throw new IOException(dir.resolve(INFO) + ": no valid 'steps'");
    }
    Map<String, Safetensors.Entry> header = Safetensors.header(file);
    restore(file, header, "exp_avg.", optimizer.firstMoments());
    restore(file, header, "exp_avg_sq.", optimizer.secondMoments());
    optimizer.setSteps(info.path("steps").asLong());
  }

  private static void add(List<Safetensors.Output> out, String prefix, Map<String, ai.djl.ndarray.NDArray> moments) {
    moments.forEach((k, v) -> out.add(new Safetensors.Output(prefix + k, v.getShape().getShape(), v.toFloatArray())));
  }

  private static void restore(Path file, Map<String, Safetensors.Entry> header, String prefix,
                              Map<String, ai.djl.ndarray.NDArray> moments) throws IOException {
    for (Map.Entry<String, ai.djl.ndarray.NDArray> e : moments.entrySet()) {
      Safetensors.Entry t = header.get(prefix + e.getKey());
      long[] shape = e.getValue().getShape().getShape();
      if (t == null) {
        throw new IOException(file + ": no optimizer state for " + e.getKey());
      }
      if (!Arrays.equals(t.shape(), shape)) {
        throw new IOException(file + ": optimizer state for " + e.getKey() + " has shape " + Arrays.toString(t.shape())
            + ", the model's weight has " + Arrays.toString(shape));
      }
      e.getValue().set(Safetensors.readFloats(file, t));
    }
  }
}

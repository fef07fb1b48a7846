package dev.odpo.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A directory that cannot be used fails with a message naming the directory and the problem. */
class CheckpointErrorsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static Path saved(Path dir) throws IOException {
    try (LlamaModel m = LlamaModel.random(LlamaModelTest.qwenGqa(), Device.cpu(), 1)) {
      m.save(dir);
    }
    return dir;
  }

  private static void editConfig(Path dir, java.util.function.Consumer<ObjectNode> edit) throws IOException {
    ObjectNode n = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
    edit.accept(n);
    JSON.writeValue(dir.resolve("config.json").toFile(), n);
  }

  @Test
  void missingDirectory(@TempDir Path tmp) {
    assertThatThrownBy(() -> LlamaModel.load(tmp.resolve("nope"), Device.cpu()))
        .isInstanceOf(IOException.class).hasMessageContaining("does not exist");
  }

  @Test
  void missingConfig(@TempDir Path tmp) throws IOException {
    Files.delete(saved(tmp).resolve("config.json"));
    assertThatThrownBy(() -> LlamaModel.load(tmp, Device.cpu()))
        .isInstanceOf(IOException.class).hasMessageContaining("config.json is missing");
  }

  @Test
  void missingWeights(@TempDir Path tmp) throws IOException {
    Files.delete(saved(tmp).resolve("model.safetensors"));
    Files.writeString(tmp.resolve("pytorch_model.bin"), "x");
    assertThatThrownBy(() -> LlamaModel.load(tmp, Device.cpu()))
        .isInstanceOf(IOException.class).hasMessageContaining("no model.safetensors")
        .hasMessageContaining("pytorch_model.bin is not supported");
  }

  @Test
  void unknownArchitecture(@TempDir Path tmp) throws IOException {
    editConfig(saved(tmp), n -> n.putArray("architectures").add("GPT2LMHeadModel"));
    assertThatThrownBy(() -> LlamaModel.load(tmp, Device.cpu()))
        .isInstanceOf(IOException.class).hasMessageContaining("unsupported architecture 'GPT2LMHeadModel'");
  }

  @Test
  void wrongShape(@TempDir Path tmp) throws IOException {
    editConfig(saved(tmp), n -> n.put("intermediate_size", 64));
    assertThatThrownBy(() -> LlamaModel.load(tmp, Device.cpu()))
        .isInstanceOf(IOException.class).hasMessageContaining("gate_proj.weight has shape [48, 32]")
        .hasMessageContaining("[64, 32]");
  }

  @Test
  void missingTensors(@TempDir Path tmp) throws IOException {
    editConfig(saved(tmp), n -> n.put("num_hidden_layers", 3));
    assertThatThrownBy(() -> LlamaModel.load(tmp, Device.cpu()))
        .isInstanceOf(IOException.class).hasMessageContaining("missing").hasMessageContaining("model.layers.2.");
  }

  @Test
  void truncatedWeights(@TempDir Path tmp) throws IOException {
    Path f = saved(tmp).resolve("model.safetensors");
    byte[] b = Files.readAllBytes(f);
    Files.write(f, java.util.Arrays.copyOf(b, b.length - 100));
    assertThatThrownBy(() -> LlamaModel.load(tmp, Device.cpu()))
        .isInstanceOf(IOException.class).hasMessageContaining("truncated");
  }

  @Test
  void garbageWeights(@TempDir Path tmp) throws IOException {
    Files.writeString(saved(tmp).resolve("model.safetensors"), "not a safetensors file at all");
    assertThatThrownBy(() -> LlamaModel.load(tmp, Device.cpu()))
        .isInstanceOf(IOException.class).hasMessageContaining("not a safetensors file");
  }

  @Test
  void missingShard(@TempDir Path tmp) throws IOException {
    Files.delete(saved(tmp).resolve("model.safetensors"));
    Files.writeString(tmp.resolve("model.safetensors.index.json"),
        "{\"weight_map\": {\"model.norm.weight\": \"model-00001-of-00002.safetensors\"}}");
    assertThatThrownBy(() -> LlamaModel.load(tmp, Device.cpu()))
        .isInstanceOf(IOException.class).hasMessageContaining("model-00001-of-00002.safetensors, which is missing");
  }

  @Test
  void unsupportedFeatureInConfig(@TempDir Path tmp) throws IOException {
    editConfig(saved(tmp), n -> n.put("use_sliding_window", true).put("sliding_window", 16));
    assertThatThrownBy(() -> LlamaModel.load(tmp, Device.cpu()))
        .isInstanceOf(IOException.class).hasMessageContaining("sliding-window attention");
    assertThat(tmp.resolve("config.json")).exists();
  }
}

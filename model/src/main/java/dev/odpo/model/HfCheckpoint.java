package dev.odpo.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hugging Face checkpoint directories: {@code config.json} plus {@code model.safetensors} or a sharded
 * {@code model.safetensors.index.json}, with HF parameter names, so odpo opens models downloaded for
 * transformers (Qwen2.5, SmolLM2, Llama) and its snapshots open in transformers and vLLM.
 *
 * <p>F32, F16 and BF16 weights load as F32 (converted on the host: DJL aborts on BF16). Saving writes F32.
 * A directory that cannot be used (missing file, unknown architecture, missing or mis-shaped tensor)
 * fails with an {@link IOException} that names the directory and the problem.
 */
public final class HfCheckpoint {

  private static final Logger LOG = LoggerFactory.getLogger(HfCheckpoint.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private HfCheckpoint() {}

  /** Loads the model in {@code dir} onto {@code device}. */
  public static LlamaModel load(Path dir, Device device) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IOException("model directory " + dir + " does not exist or is not a directory");
    }
    LlamaConfig config = LlamaConfig.read(dir);
    Map<String, Path> files = new LinkedHashMap<>();
    Map<String, Safetensors.Entry> entries = new LinkedHashMap<>();
    for (Path f : weightFiles(dir)) {
      for (Safetensors.Entry e : Safetensors.header(f).values()) {
        entries.put(e.name(), e);
        files.put(e.name(), f);
      }
    }
    Map<String, long[]> expected = hfShapes(config);
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, long[]> x : expected.entrySet()) {
      Safetensors.Entry e = entries.get(x.getKey());
      if (e == null) {
        missing.add(x.getKey());
      } else if (!Arrays.equals(e.shape(), x.getValue())) {
        throw new IOException(dir + ": tensor " + x.getKey() + " has shape " + Arrays.toString(e.shape())
            + " but config.json implies " + Arrays.toString(x.getValue()));
      }
    }
    if (!missing.isEmpty()) {
      throw new IOException(dir + ": " + missing.size() + " tensor(s) missing for " + config.architecture()
          + ", e.g. " + missing.subList(0, Math.min(3, missing.size())));
    }
    entries.keySet().stream().filter(k -> !expected.containsKey(k))
        .forEach(k -> LOG.debug("{}: ignoring tensor {}", dir, k));

    NDManager m = NDManager.newBaseManager(device);
    try {
      Map<String, NDArray> params = new LinkedHashMap<>();
      for (Map.Entry<String, long[]> s : LlamaModel.internalShapes(config).entrySet()) {
        String name = s.getKey();
        float[] data;
        if (name.endsWith("qkv_proj.weight") || name.endsWith("qkv_proj.bias")) {
          String pre = name.substring(0, name.indexOf("qkv_proj"));
          String suf = name.endsWith("weight") ? "_proj.weight" : "_proj.bias";
          data = concat(read(files, entries, pre + "q" + suf), read(files, entries, pre + "k" + suf),
              read(files, entries, pre + "v" + suf));
        } else if (name.endsWith("gate_up_proj.weight")) {
          String pre = name.substring(0, name.indexOf("gate_up_proj"));
          data = concat(read(files, entries, pre + "gate_proj.weight"), read(files, entries, pre + "up_proj.weight"));
        } else {
          data = read(files, entries, name);
        }
        NDArray a = m.create(FloatBuffer.wrap(data), new Shape(s.getValue()));
        a.setName(name);
        params.put(name, a);
      }
      LOG.info("loaded {} ({}, {} layers, {} M parameters) from {}", config.architecture(), config.modelType(),
          config.numLayers(), String.format("%.1f", config.parameterCount() / 1e6), dir);
      return new LlamaModel(config, m, params);
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** Writes config.json and model.safetensors (F32, HF names, q/k/v and gate/up split again). */
  public static void save(LlamaModel model, Path dir) throws IOException {
    LlamaConfig c = model.config();
    Files.createDirectories(dir);
    c.write(dir);
    List<Safetensors.Output> out = new ArrayList<>();
    int hd = c.headDim();
    for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
      String name = p.getKey();
      float[] data = p.getValue().toFloatArray();
      long[] shape = p.getValue().getShape().getShape();
      if (name.contains("qkv_proj")) {
        String pre = name.substring(0, name.indexOf("qkv_proj"));
        String suf = name.endsWith("weight") ? "_proj.weight" : "_proj.bias";
        long cols = name.endsWith("weight") ? shape[1] : 1;
        long[] rows = {(long) c.numHeads() * hd, (long) c.numKvHeads() * hd, (long) c.numKvHeads() * hd};
        String[] which = {"q", "k", "v"};
        long off = 0;
        for (int i = 0; i < 3; i++) {
          float[] part = Arrays.copyOfRange(data, (int) (off * cols), (int) ((off + rows[i]) * cols));
          long[] sh = name.endsWith("weight") ? new long[] {rows[i], cols} : new long[] {rows[i]};
          out.add(new Safetensors.Output(pre + which[i] + suf, sh, part));
          off += rows[i];
        }
      } else if (name.contains("gate_up_proj")) {
        String pre = name.substring(0, name.indexOf("gate_up_proj"));
        int half = data.length / 2;
        long[] sh = {shape[0] / 2, shape[1]};
        out.add(new Safetensors.Output(pre + "gate_proj.weight", sh, Arrays.copyOfRange(data, 0, half)));
        out.add(new Safetensors.Output(pre + "up_proj.weight", sh, Arrays.copyOfRange(data, half, data.length)));
      } else {
        out.add(new Safetensors.Output(name, shape, data));
      }
    }
    Files.deleteIfExists(dir.resolve("model.safetensors.index.json"));
    Safetensors.write(dir.resolve("model.safetensors"), out);
    LOG.info("saved {} to {}", c.architecture(), dir);
  }

  /** The HF tensor names and shapes a config implies (unfused). */
  static Map<String, long[]> hfShapes(LlamaConfig c) {
    Map<String, long[]> s = new LinkedHashMap<>();
    long d = c.hiddenSize();
    int hd = c.headDim();
    for (Map.Entry<String, long[]> e : LlamaModel.internalShapes(c).entrySet()) {
      String n = e.getKey();
      if (n.contains("qkv_proj")) {
        String pre = n.substring(0, n.indexOf("qkv_proj"));
        boolean w = n.endsWith("weight");
        long q = (long) c.numHeads() * hd;
        long kv = (long) c.numKvHeads() * hd;
        s.put(pre + "q_proj." + (w ? "weight" : "bias"), w ? new long[] {q, d} : new long[] {q});
        s.put(pre + "k_proj." + (w ? "weight" : "bias"), w ? new long[] {kv, d} : new long[] {kv});
        s.put(pre + "v_proj." + (w ? "weight" : "bias"), w ? new long[] {kv, d} : new long[] {kv});
      } else if (n.contains("gate_up_proj")) {
        String pre = n.substring(0, n.indexOf("gate_up_proj"));
        s.put(pre + "gate_proj.weight", new long[] {c.intermediateSize(), d});
        s.put(pre + "up_proj.weight", new long[] {c.intermediateSize(), d});
      } else {
        s.put(n, e.getValue());
      }
    }
    return s;
  }

  private static List<Path> weightFiles(Path dir) throws IOException {
    Path single = dir.resolve("model.safetensors");
    if (Files.isRegularFile(single)) {
      return List.of(single);
    }
    Path index = dir.resolve("model.safetensors.index.json");
    if (Files.isRegularFile(index)) {
      JsonNode map = JSON.readTree(index.toFile()).path("weight_map");
      List<Path> files = new ArrayList<>();
      for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
        Path f = dir.resolve(it.next().asText());
        if (!files.contains(f)) {
          if (!Files.isRegularFile(f)) {
            throw new IOException(index + " names shard " + f.getFileName() + ", which is missing");
          }
          files.add(f);
        }
      }
      if (files.isEmpty()) {
        throw new IOException(index + " has an empty weight_map");
      }
      return files;
    }
    String hint = Files.exists(dir.resolve("pytorch_model.bin"))
        ? " (pytorch_model.bin is not supported: re-save with save_pretrained(..., safe_serialization=True))" : "";
    throw new IOException(dir + ": no model.safetensors or model.safetensors.index.json" + hint);
  }

  private static float[] read(Map<String, Path> files, Map<String, Safetensors.Entry> entries, String name)
      throws IOException {
    return Safetensors.readFloats(files.get(name), entries.get(name));
  }

  private static float[] concat(float[]... parts) {
    int n = 0;
    for (float[] p : parts) {
      n += p.length;
    }
    float[] out = new float[n];
    int off = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, out, off, p.length);
      off += p.length;
    }
    return out;
  }
}

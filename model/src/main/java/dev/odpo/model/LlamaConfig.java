package dev.odpo.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Shape and hyper-parameters of a Llama-family decoder, as Hugging Face writes them in {@code config.json}.
 *
 * <p>Covers {@code LlamaForCausalLM}, {@code Qwen2ForCausalLM} (q/k/v biases), {@code MistralForCausalLM}
 * without a sliding window, and their {@code *ForSequenceClassification} reward-model variants. Features
 * this implementation does not compute (rope scaling other than linear, sliding windows, attention/MLP
 * biases on Llama, MoE, other activations) are rejected with a message that names them.
 *
 * @param architecture     HF architecture name, e.g. "LlamaForCausalLM", "Qwen2ForSequenceClassification"
 * @param vocabSize        number of token ids (rows of the embedding)
 * @param hiddenSize       width of the residual stream, D
 * @param intermediateSize width of the SwiGLU MLP, F
 * @param numLayers        number of decoder layers, L
 * @param numHeads         query heads, H
 * @param numKvHeads       key/value heads, Hkv (GQA when Hkv &lt; H; H must be a multiple of Hkv)
 * @param headDim          width of one head, hd (usually D / H)
 * @param rmsNormEps       epsilon inside RMSNorm
 * @param ropeTheta        RoPE base frequency
 * @param ropeLinearFactor positions are divided by this factor (1 = no scaling; "linear" rope scaling)
 * @param maxPositions     max_position_embeddings: the longest sequence the model supports
 * @param tieWordEmbeddings LM head shares the embedding matrix
 * @param qkvBias          q/k/v projections carry biases (Qwen2)
 * @param numLabels        rows of the score head for *ForSequenceClassification (1 for a reward model), else 0
 * @param bosTokenId       beginning-of-sequence id, or -1
 * @param eosTokenIds      end-of-sequence ids (HF allows a list), possibly empty
 * @param padTokenId       padding id, or -1
 * @param llama3Rope       Llama 3.x "llama3" rope scaling of the frequencies, or null
 */
public record LlamaConfig(
    String architecture,
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    double rmsNormEps,
    double ropeTheta,
    double ropeLinearFactor,
    int maxPositions,
    boolean tieWordEmbeddings,
    boolean qkvBias,
    int numLabels,
    int bosTokenId,
    List<Integer> eosTokenIds,
    int padTokenId,
    Llama3Rope llama3Rope) {

  /**
   * Llama 3.x frequency-dependent RoPE scaling (rope_type "llama3"): low frequencies divided by
   * {@code factor}, high ones kept, a smooth blend between.
   */
  public record Llama3Rope(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
    public Llama3Rope {
      if (!(factor > 0) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || originalMaxPositions <= 0) {
        throw new IllegalArgumentException("invalid llama3 rope scaling: " + this);
      }
    }

    /** Applies the scaling to HF's inverse frequencies, as transformers' _compute_llama3_parameters does. */
    double scale(double invFreq) {
      double wavelen = 2 * Math.PI / invFreq;
      double lowWavelen = originalMaxPositions / lowFreqFactor;
      double highWavelen = originalMaxPositions / highFreqFactor;
      if (wavelen < highWavelen) {
        return invFreq;
      }
      if (wavelen > lowWavelen) {
        return invFreq / factor;
      }
      double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
      return (1 - smooth) * invFreq / factor + smooth * invFreq;
    }
  }

  /** Without llama3 rope scaling (the common case). */
  public LlamaConfig(String architecture, int vocabSize, int hiddenSize, int intermediateSize, int numLayers,
                     int numHeads, int numKvHeads, int headDim, double rmsNormEps, double ropeTheta,
                     double ropeLinearFactor, int maxPositions, boolean tieWordEmbeddings, boolean qkvBias,
                     int numLabels, int bosTokenId, List<Integer> eosTokenIds, int padTokenId) {
    this(architecture, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, rmsNormEps,
        ropeTheta, ropeLinearFactor, maxPositions, tieWordEmbeddings, qkvBias, numLabels, bosTokenId, eosTokenIds,
        padTokenId, null);
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> SUPPORTED = List.of(
      "LlamaForCausalLM", "Qwen2ForCausalLM", "MistralForCausalLM",
      "LlamaForSequenceClassification", "Qwen2ForSequenceClassification", "MistralForSequenceClassification");

  public LlamaConfig {
    if (!SUPPORTED.contains(architecture)) {
      throw new IllegalArgumentException("unsupported architecture '" + architecture + "'; supported: " + SUPPORTED);
    }
    positive("vocab_size", vocabSize);
    positive("hidden_size", hiddenSize);
    positive("intermediate_size", intermediateSize);
    positive("num_hidden_layers", numLayers);
    positive("num_attention_heads", numHeads);
    positive("num_key_value_heads", numKvHeads);
    positive("head_dim", headDim);
    positive("max_position_embeddings", maxPositions);
    if (numHeads % numKvHeads != 0) {
      throw new IllegalArgumentException("num_attention_heads (" + numHeads
          + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
    }
    if (headDim % 2 != 0) {
      throw new IllegalArgumentException("head_dim must be even for rotary embeddings, got " + headDim);
    }
    if (!(rmsNormEps > 0)) {
      throw new IllegalArgumentException("rms_norm_eps must be > 0, got " + rmsNormEps);
    }
    if (!(ropeTheta > 0) || !(ropeLinearFactor > 0)) {
      throw new IllegalArgumentException("rope_theta and rope scaling factor must be > 0");
    }
    boolean reward = architecture.endsWith("ForSequenceClassification");
    if (reward != (numLabels > 0)) {
      throw new IllegalArgumentException(architecture + ": num_labels must be "
          + (reward ? "> 0" : "0") + ", got " + numLabels);
    }
    eosTokenIds = List.copyOf(eosTokenIds == null ? List.of() : eosTokenIds);
  }

  private static void positive(String name, int v) {
    if (v <= 0) {
      throw new IllegalArgumentException(name + " must be > 0, got " + v);
    }
  }

  /** A small causal-LM config for tests and demos: Llama layout, optional GQA. */
  public static LlamaConfig tiny(int vocab, int hidden, int layers, int heads, int kvHeads) {
    return new LlamaConfig("LlamaForCausalLM", vocab, hidden, hidden * 2, layers, heads, kvHeads, hidden / heads,
        1e-6, 10000.0, 1.0, 2048, true, false, 0, -1, List.of(), -1);
  }

  /** True for the *ForSequenceClassification (reward model) layout. */
  public boolean isRewardModel() {
    return architecture.endsWith("ForSequenceClassification");
  }

  /** "llama", "qwen2" or "mistral": HF's model_type. */
  public String modelType() {
    if (architecture.startsWith("Qwen2")) {
      return "qwen2";
    }
    return architecture.startsWith("Mistral") ? "mistral" : "llama";
  }

  public LlamaConfig withArchitecture(String arch, int labels) {
    return new LlamaConfig(arch, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim,
        rmsNormEps, ropeTheta, ropeLinearFactor, maxPositions, tieWordEmbeddings, qkvBias, labels,
        bosTokenId, eosTokenIds, padTokenId, llama3Rope);
  }

  /** The reward-model variant of this config (same backbone, one-row score head, no LM head). */
  public LlamaConfig asRewardModel() {
    String family = architecture.substring(0, architecture.indexOf("For"));
    return withArchitecture(family + "ForSequenceClassification", 1);
  }

  public LlamaConfig withSpecialTokens(int bos, List<Integer> eos, int pad) {
    return new LlamaConfig(architecture, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads,
        headDim, rmsNormEps, ropeTheta, ropeLinearFactor, maxPositions, tieWordEmbeddings, qkvBias, numLabels,
        bos, eos, pad, llama3Rope);
  }

  public LlamaConfig withRopeTheta(double theta) {
    return new LlamaConfig(architecture, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads,
        headDim, rmsNormEps, theta, ropeLinearFactor, maxPositions, tieWordEmbeddings, qkvBias, numLabels,
        bosTokenId, eosTokenIds, padTokenId, llama3Rope);
  }

  public LlamaConfig withTiedEmbeddings(boolean tied) {
    return new LlamaConfig(architecture, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads,
        headDim, rmsNormEps, ropeTheta, ropeLinearFactor, maxPositions, tied, qkvBias, numLabels,
        bosTokenId, eosTokenIds, padTokenId, llama3Rope);
  }

  /** Reads {@code dir/config.json}. */
  public static LlamaConfig read(Path dir) throws IOException {
    Path file = dir.resolve("config.json");
    try {
      return parse(JSON.readTree(Files.readString(file)));
    } catch (NoSuchFileException e) {
      throw new IOException("not a Hugging Face model directory: " + file + " is missing", e);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /** Parses an HF config.json tree, rejecting features this implementation does not compute. */
  public static LlamaConfig parse(JsonNode n) {
    String arch = n.path("architectures").path(0).asText(null);
    if (arch == null) {
      throw new IllegalArgumentException("config.json has no 'architectures' entry");
    }
    String act = n.path("hidden_act").asText("silu");
    if (!act.equals("silu")) {
      throw new IllegalArgumentException("hidden_act '" + act + "' is not supported (only silu)");
    }
    for (String moe : List.of("num_experts", "num_local_experts", "n_routed_experts")) {
      if (n.hasNonNull(moe) && n.get(moe).asInt() > 0) {
        throw new IllegalArgumentException("mixture-of-experts (" + moe + ") is not supported");
      }
    }
    boolean qwen = arch.startsWith("Qwen2");
    if (!qwen && (n.path("attention_bias").asBoolean(false) || n.path("mlp_bias").asBoolean(false))) {
      throw new IllegalArgumentException("attention_bias/mlp_bias on " + arch + " is not supported");
    }
    int maxPos = n.path("max_position_embeddings").asInt(2048);
    if (n.path("use_sliding_window").asBoolean(!qwen) && n.hasNonNull("sliding_window")
        && n.get("sliding_window").asInt() < maxPos) {
      throw new IllegalArgumentException("sliding-window attention (sliding_window="
          + n.get("sliding_window").asInt() + ") is not supported");
    }
    // transformers 5 writes rope_parameters; 4.x writes rope_theta + rope_scaling.
    JsonNode rope = n.path("rope_parameters");
    double theta = rope.path("rope_theta").asDouble(n.path("rope_theta").asDouble(10000.0));
    JsonNode scaling = rope.isObject() ? rope : n.path("rope_scaling");
    String ropeType = scaling.path("rope_type").asText(scaling.path("type").asText("default"));
    double factor = 1.0;
    Llama3Rope llama3 = null;
    if (ropeType.equals("linear")) {
      factor = scaling.path("factor").asDouble(1.0);
    } else if (ropeType.equals("llama3")) {
      llama3 = new Llama3Rope(scaling.path("factor").asDouble(), scaling.path("low_freq_factor").asDouble(),
          scaling.path("high_freq_factor").asDouble(), scaling.path("original_max_position_embeddings").asInt());
    } else if (!ropeType.equals("default")) {
      throw new IllegalArgumentException("rope scaling type '" + ropeType
          + "' is not supported (default, linear, llama3)");
    }
    int hidden = n.path("hidden_size").asInt();
    int heads = n.path("num_attention_heads").asInt();
    int headDim = n.hasNonNull("head_dim") ? n.get("head_dim").asInt() : (heads > 0 ? hidden / heads : 0);
    List<Integer> eos = new ArrayList<>();
    JsonNode e = n.path("eos_token_id");
    if (e.isArray()) {
      e.forEach(x -> eos.add(x.asInt()));
    } else if (e.isNumber()) {
      eos.add(e.asInt());
    }
    boolean reward = arch.endsWith("ForSequenceClassification");
    int labels = reward ? n.path("num_labels").asInt(n.path("id2label").size() > 0 ? n.path("id2label").size() : 1) : 0;
    return new LlamaConfig(arch, n.path("vocab_size").asInt(), hidden, n.path("intermediate_size").asInt(),
        n.path("num_hidden_layers").asInt(), heads, n.path("num_key_value_heads").asInt(heads), headDim,
        n.path("rms_norm_eps").asDouble(1e-6), theta, factor, maxPos,
        n.path("tie_word_embeddings").asBoolean(false), qwen, labels,
        n.path("bos_token_id").asInt(-1), eos, n.path("pad_token_id").asInt(-1), llama3);
  }

  /** The config.json tree HF transformers reads back into the same model. */
  public ObjectNode toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.putArray("architectures").add(architecture);
    n.put("model_type", modelType());
    n.put("vocab_size", vocabSize);
    n.put("hidden_size", hiddenSize);
    n.put("intermediate_size", intermediateSize);
    n.put("num_hidden_layers", numLayers);
    n.put("num_attention_heads", numHeads);
    n.put("num_key_value_heads", numKvHeads);
    n.put("head_dim", headDim);
    n.put("hidden_act", "silu");
    n.put("rms_norm_eps", rmsNormEps);
    n.put("rope_theta", ropeTheta);
    ObjectNode rp = n.putObject("rope_parameters");
    rp.put("rope_theta", ropeTheta);
    if (ropeLinearFactor != 1.0) {
      rp.put("rope_type", "linear");
      rp.put("factor", ropeLinearFactor);
      n.putObject("rope_scaling").put("rope_type", "linear").put("type", "linear").put("factor", ropeLinearFactor);
    } else if (llama3Rope != null) {
      for (ObjectNode o : List.of(rp, n.putObject("rope_scaling"))) {
        o.put("rope_type", "llama3").put("factor", llama3Rope.factor())
            .put("low_freq_factor", llama3Rope.lowFreqFactor()).put("high_freq_factor", llama3Rope.highFreqFactor())
            .put("original_max_position_embeddings", llama3Rope.originalMaxPositions());
      }
    } else {
      rp.put("rope_type", "default");
    }
    n.put("max_position_embeddings", maxPositions);
    n.put("tie_word_embeddings", tieWordEmbeddings);
    if (modelType().equals("llama")) {
      n.put("attention_bias", false);
      n.put("mlp_bias", false);
    }
    if (!modelType().equals("llama")) {
      n.putNull("sliding_window");
      n.put("use_sliding_window", false);
    }
    if (numLabels > 0) {
      n.put("num_labels", numLabels);
      ObjectNode id2label = n.putObject("id2label");
      ObjectNode label2id = n.putObject("label2id");
      for (int i = 0; i < numLabels; i++) {
        id2label.put(Integer.toString(i), "LABEL_" + i);
        label2id.put("LABEL_" + i, i);
      }
    }
    if (bosTokenId >= 0) {
      n.put("bos_token_id", bosTokenId);
    } else {
      n.putNull("bos_token_id");
    }
    if (eosTokenIds.size() == 1) {
      n.put("eos_token_id", eosTokenIds.get(0));
    } else if (eosTokenIds.isEmpty()) {
      n.putNull("eos_token_id");
    } else {
      ArrayNode a = n.putArray("eos_token_id");
      eosTokenIds.forEach(a::add);
    }
    if (padTokenId >= 0) {
      n.put("pad_token_id", padTokenId);
    } else {
      n.putNull("pad_token_id");
    }
    n.put("dtype", "float32");
    n.put("torch_dtype", "float32");
    n.put("use_cache", true);
    return n;
  }

  /** Writes {@code dir/config.json}. */
  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()));
  }

  /** Parameter count (embedding counted once when tied). */
  public long parameterCount() {
    long d = hiddenSize;
    long attn = d * (numHeads + 2L * numKvHeads) * headDim + (long) numHeads * headDim * d
        + (qkvBias ? (numHeads + 2L * numKvHeads) * headDim : 0);
    long mlp = 3L * d * intermediateSize;
    long head = isRewardModel() ? numLabels * d : (tieWordEmbeddings ? 0 : vocabSize * d);
    return vocabSize * d + numLayers * (attn + mlp + 2 * d) + d + head;
  }
}

package dev.odpo.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class LlamaConfigTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static LlamaConfig parse(String json) throws Exception {
    return LlamaConfig.parse(JSON.readTree(json));
  }

  private static final String LLAMA = """
      {"architectures": ["LlamaForCausalLM"], "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
       "num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 2, "rms_norm_eps": 1e-5,
       "rope_theta": 500000.0, "max_position_embeddings": 512, "tie_word_embeddings": true,
       "bos_token_id": 1, "eos_token_id": [2, 7], "hidden_act": "silu" %s}""";

  @Test
  void readsTransformers4Layout() throws Exception {
    LlamaConfig c = parse(LLAMA.formatted(""));
    assertThat(c.headDim()).isEqualTo(8);
    assertThat(c.numKvHeads()).isEqualTo(2);
    assertThat(c.ropeTheta()).isEqualTo(500000.0);
    assertThat(c.eosTokenIds()).containsExactly(2, 7);
    assertThat(c.tieWordEmbeddings()).isTrue();
    assertThat(c.qkvBias()).isFalse();
    assertThat(c.padTokenId()).isEqualTo(-1);
  }

  @Test
  void readsTransformers5RopeParametersAndLinearScaling() throws Exception {
    LlamaConfig c = parse(LLAMA.formatted(", \"rope_parameters\": {\"rope_theta\": 1234.0, \"rope_type\": \"linear\", \"factor\": 4.0}"));
    assertThat(c.ropeTheta()).isEqualTo(1234.0);
    assertThat(c.ropeLinearFactor()).isEqualTo(4.0);
  }

  @Test
  void readsLlama3RopeScalingAndScalesOnlyLowFrequencies() throws Exception {
    LlamaConfig c = parse(LLAMA.formatted(", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, "
        + "\"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}"));
    LlamaConfig.Llama3Rope r = c.llama3Rope();
    assertThat(r.originalMaxPositions()).isEqualTo(8192);
    assertThat(r.scale(1.0)).as("short wavelength kept").isEqualTo(1.0);
    assertThat(r.scale(2 * Math.PI / 10000)).as("long wavelength divided by factor").isEqualTo(2 * Math.PI / 10000 / 8);
    double mid = 2 * Math.PI / 4096;   // between 8192/4 and 8192/1: blended
    assertThat(r.scale(mid)).isBetween(mid / 8, mid);
    assertThat(LlamaConfig.parse(c.toJson())).isEqualTo(c);
  }

  @Test
  void roundTripsThroughJson() throws Exception {
    LlamaConfig c = parse(LLAMA.formatted(", \"pad_token_id\": 0"));
    assertThat(LlamaConfig.parse(c.toJson())).isEqualTo(c);
    LlamaConfig r = c.asRewardModel();
    assertThat(r.architecture()).isEqualTo("LlamaForSequenceClassification");
    assertThat(LlamaConfig.parse(r.toJson())).isEqualTo(r);
  }

  @Test
  void qwen2HasQkvBiasAndIgnoresAnUnusedSlidingWindow() throws Exception {
    LlamaConfig c = parse("""
        {"architectures": ["Qwen2ForCausalLM"], "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
         "num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 2,
         "use_sliding_window": false, "sliding_window": 4096, "max_position_embeddings": 32768}""");
    assertThat(c.qkvBias()).isTrue();
  }

  @Test
  void rejectsWhatItDoesNotCompute() {
    assertThatThrownBy(() -> parse(LLAMA.formatted(", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 8.0}")))
        .hasMessageContaining("rope scaling type 'yarn' is not supported");
    assertThatThrownBy(() -> parse(LLAMA.formatted(", \"num_local_experts\": 8")))
        .hasMessageContaining("mixture-of-experts");
    assertThatThrownBy(() -> parse(LLAMA.formatted(", \"attention_bias\": true")))
        .hasMessageContaining("attention_bias");
    assertThatThrownBy(() -> parse(LLAMA.formatted("").replace("\"silu\"", "\"gelu\"")))
        .hasMessageContaining("hidden_act 'gelu'");
    assertThatThrownBy(() -> parse(LLAMA.formatted("").replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3")))
        .hasMessageContaining("multiple of num_key_value_heads");
    assertThatThrownBy(() -> parse(LLAMA.formatted("").replace("LlamaForCausalLM", "MistralForCausalLM")
        .replace("\"hidden_act\"", "\"sliding_window\": 256, \"hidden_act\"")))
        .hasMessageContaining("sliding-window attention (sliding_window=256)");
    assertThatThrownBy(() -> LlamaConfig.tiny(10, 30, 1, 4, 2)).hasMessageContaining("head_dim");
  }

  @Test
  void countsParameters() {
    LlamaConfig c = new LlamaConfig("LlamaForCausalLM", 10, 4, 6, 1, 2, 1, 2, 1e-6, 1e4, 1, 16, true, false, 0,
        -1, List.of(), -1);
    // embed 40 + layer (q 4x4 + k,v 2x(2x4) + o 4x4 + mlp 3x4x6 + 2 norms x4) + final norm 4
    assertThat(c.parameterCount()).isEqualTo(40 + (16 + 16 + 16 + 72 + 8) + 4);
  }
}

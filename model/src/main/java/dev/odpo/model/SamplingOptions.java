package dev.odpo.model;

import java.util.List;

/**
 * How to decode.
 *
 * @param maxNewTokens most tokens to generate per sequence
 * @param greedy       take the argmax (temperature, top-k, top-p ignored)
 * @param temperature  divide logits by this before sampling (&gt; 0)
 * @param topK         keep the k most likely tokens (0 = off)
 * @param topP         nucleus mass to keep (1 = off)
 * @param stopStrings  stop once the decoded text contains one of these (needs a tokenizer); the text is cut before it
 */
public record SamplingOptions(int maxNewTokens, boolean greedy, double temperature, int topK, double topP,
                              List<String> stopStrings) {

  public SamplingOptions {
    if (maxNewTokens <= 0) {
      throw new IllegalArgumentException("maxNewTokens must be > 0, got " + maxNewTokens);
    }
    if (!greedy && !(temperature > 0)) {
      throw new IllegalArgumentException("temperature must be > 0 (use greedy for argmax), got " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("topK must be >= 0, got " + topK);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
    }
    stopStrings = List.copyOf(stopStrings == null ? List.of() : stopStrings);
  }

  public static SamplingOptions greedy(int maxNewTokens) {
    return new SamplingOptions(maxNewTokens, true, 1.0, 0, 1.0, List.of());
  }

  public static SamplingOptions sampled(int maxNewTokens, double temperature, int topK, double topP) {
    return new SamplingOptions(maxNewTokens, false, temperature, topK, topP, List.of());
  }

  public SamplingOptions withStopStrings(List<String> stops) {
    return new SamplingOptions(maxNewTokens, greedy, temperature, topK, topP, stops);
  }
}

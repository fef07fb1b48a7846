package dev.odpo.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face tokenizer directory: {@code tokenizer.json} (encoded by the Rust tokenizers library
 * through DJL, offline) plus {@code tokenizer_config.json} (special tokens, chat template).
 *
 * <p>Chat templates render with Jinjava, a Jinja engine for Java. Where a model has no template (or the
 * template fails to render), {@link #applyChatTemplate} falls back to plain
 * {@code "<role>: <content>\n"} lines followed by {@code "assistant: "} — documented, never silent:
 * {@link #chatTemplateFallbackReason()} says why.
 */
public final class TextTokenizer implements AutoCloseable {

  /** One chat message. */
  public record Message(String role, String content) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HuggingFaceTokenizer tokenizer;
  private final Path dir;
  private final String bosToken;
  private final String eosToken;
  private final String padToken;
  private final boolean addBosToken;
  private String fallbackReason;
  private final ChatTemplate template;

  private TextTokenizer(HuggingFaceTokenizer tokenizer, Path dir, JsonNode cfg) {
    this.tokenizer = tokenizer;
    this.dir = dir;
    this.bosToken = tokenText(cfg.get("bos_token"));
    this.eosToken = tokenText(cfg.get("eos_token"));
    this.padToken = tokenText(cfg.get("pad_token"));
    this.addBosToken = cfg.path("add_bos_token").asBoolean(false);
    JsonNode t = cfg.get("chat_template");
    String tpl = null;
    if (t != null && t.isTextual()) {
      tpl = t.asText();
    } else if (t != null && t.isArray()) {
      for (JsonNode n : t) {
        if (n.path("name").asText().equals("default")) {
          tpl = n.path("template").asText();
        }
      }
    }
    if (tpl == null && Files.isRegularFile(dir.resolve("chat_template.jinja"))) {
      try {
        tpl = Files.readString(dir.resolve("chat_template.jinja"));
      } catch (IOException e) {
        fallbackReason = "chat_template.jinja unreadable: " + e.getMessage();
      }
    }
    this.template = tpl == null ? null : new ChatTemplate(tpl, bosToken, eosToken);
    if (tpl == null && fallbackReason == null) {
      fallbackReason = "tokenizer_config.json has no chat_template";
    }
  }

  /** Loads {@code dir/tokenizer.json} and, if present, {@code dir/tokenizer_config.json}. */
  public static TextTokenizer load(Path dir) throws IOException {
    Path file = dir.resolve("tokenizer.json");
    if (!Files.isRegularFile(file)) {
      throw new IOException("no tokenizer.json in " + dir);
    }
    Map<String, String> opts = new HashMap<>();
    opts.put("addSpecialTokens", "false");
    opts.put("truncation", "false");
    opts.put("padding", "false");
    opts.put("maxLength", "1000000");
    HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(file, opts);
    Path cfgFile = dir.resolve("tokenizer_config.json");
    JsonNode cfg = Files.isRegularFile(cfgFile) ? JSON.readTree(cfgFile.toFile()) : JSON.createObjectNode();
    return new TextTokenizer(tok, dir, cfg);
  }

  private static String tokenText(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    return n.isTextual() ? n.asText() : n.path("content").asText(null);
  }

  /** Token ids of {@code text}, without special tokens (a BOS is prepended when the config asks for one). */
  public int[] encode(String text) {
    return encode(text, addBosToken);
  }

  /**
   * Token ids of {@code text}; {@code addBos} prepends the BOS token. Text rendered from a chat template
   * is encoded with {@code addBos = false}: templates write their own BOS, as HF's apply_chat_template assumes.
   */
  public int[] encode(String text, boolean addBos) {
    long[] ids = tokenizer.encode(text, false, false).getIds();
    int off = addBos && bosId() >= 0 ? 1 : 0;
    int[] out = new int[ids.length + off];
    if (off == 1) {
      out[0] = bosId();
    }
    for (int i = 0; i < ids.length; i++) {
      out[i + off] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  /** Text of {@code ids}, special tokens skipped. */
  public String decode(int[] ids) {
    long[] l = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      l[i] = ids[i];
    }
    return tokenizer.decode(l, true);
  }

  /** The id of a single token string (e.g. "&lt;|im_end|&gt;"), or -1 when it is not one token. */
  public int tokenId(String token) {
    if (token == null) {
      return -1;
    }
    long[] ids = tokenizer.encode(token, false, false).getIds();
    return ids.length == 1 ? (int) ids[0] : -1;
  }

  public int bosId() {
    return tokenId(bosToken);
  }

  public int eosId() {
    return tokenId(eosToken);
  }

  /** The pad id from tokenizer_config.json, else the EOS id, else 0. */
  public int padId() {
    int p = tokenId(padToken);
    if (p >= 0) {
      return p;
    }
    int e = eosId();
    return e >= 0 ? e : 0;
  }

  public boolean hasChatTemplate() {
    return template != null;
  }

  /** Why the last {@link #applyChatTemplate} used the plain fallback, or null when the template rendered. */
  public String chatTemplateFallbackReason() {
    return fallbackReason;
  }

  /** Renders messages with the model's chat template (Jinja), or the documented plain fallback. */
  public String applyChatTemplate(List<Message> messages, boolean addGenerationPrompt) {
    if (template != null) {
      ChatTemplate.Rendered r = template.render(messages, addGenerationPrompt);
      if (r.failure() == null) {
        fallbackReason = null;
        return r.text();
      }
      fallbackReason = "chat template failed to render: " + r.failure();
    }
    StringBuilder sb = new StringBuilder();
    for (Message m : messages) {
      sb.append(m.role()).append(": ").append(m.content()).append('\n');
    }
    if (addGenerationPrompt) {
      sb.append("assistant: ");
    }
    return sb.toString();
  }

  /** raise_exception(msg) as HF templates call it: aborts rendering with the template's message. */
  public static String raiseException(String message) {
    throw new IllegalArgumentException(RAISED + message);
  }

  /** How {@link #raiseException}'s message starts. */
  static final String RAISED = "chat template raised: ";

  /** Copies tokenizer.json and the optional tokenizer files next to a saved model. */
  public void save(Path target) throws IOException {
    Files.createDirectories(target);
    for (String f : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "chat_template.jinja", "generation_config.json")) {
      Path src = dir.resolve(f);
      if (Files.isRegularFile(src) && !src.toAbsolutePath().normalize().equals(target.resolve(f).toAbsolutePath().normalize())) {
        Files.copy(src, target.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}

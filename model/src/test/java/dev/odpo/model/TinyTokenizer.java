package dev.odpo.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Writes a word-level HF tokenizer.json (+ tokenizer_config.json) that tests can load offline. */
public final class TinyTokenizer {

  public static final List<String> SPECIAL = List.of("<pad>", "<s>", "</s>", "<unk>");
  static final List<String> WORDS = List.of("user", "assistant", "system", ":", "hello", "world", "the", "cat",
      "sat", "on", "mat", "a", "dog", "ran", "fast", "slow", "red", "blue", "green", "one", "two", "three", "four",
      "five", "six", "seven", "eight", "nine", "ten", "yes", "no", "maybe", "good", "bad", "big", "small", "up",
      "down", "left", "right", "in", "out", "stop", "go", ".", "?");

  private TinyTokenizer() {}

  public static int vocabSize() {
    return SPECIAL.size() + WORDS.size();
  }

  public static int id(String word) {
    int i = SPECIAL.indexOf(word);
    return i >= 0 ? i : SPECIAL.size() + WORDS.indexOf(word);
  }

  public static void write(Path dir, String chatTemplate) throws IOException {
    write(dir, chatTemplate, false);
  }

  public static void write(Path dir, String chatTemplate, boolean addBos) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int i = 0; i < SPECIAL.size(); i++) {
      added.addObject().put("id", i).put("content", SPECIAL.get(i)).put("single_word", false).put("lstrip", false)
          .put("rstrip", false).put("normalized", false).put("special", true);
    }
    root.putNull("normalizer");
    root.putObject("pre_tokenizer").put("type", "Whitespace");
    root.putNull("post_processor");
    root.putNull("decoder");
    ObjectNode model = root.putObject("model");
    model.put("type", "WordLevel");
    ObjectNode vocab = model.putObject("vocab");
    for (int i = 0; i < SPECIAL.size(); i++) {
      vocab.put(SPECIAL.get(i), i);
    }
    for (int i = 0; i < WORDS.size(); i++) {
      vocab.put(WORDS.get(i), SPECIAL.size() + i);
    }
    model.put("unk_token", "<unk>");
    java.nio.file.Files.createDirectories(dir);
    json.writeValue(dir.resolve("tokenizer.json").toFile(), root);
    ObjectNode cfg = json.createObjectNode();
    cfg.put("bos_token", "<s>");
    cfg.putObject("eos_token").put("content", "</s>").put("special", true);
    cfg.put("pad_token", "<pad>");
    cfg.put("add_bos_token", addBos);
    if (chatTemplate != null) {
      cfg.put("chat_template", chatTemplate);
    }
    json.writeValue(dir.resolve("tokenizer_config.json").toFile(), cfg);
  }
}

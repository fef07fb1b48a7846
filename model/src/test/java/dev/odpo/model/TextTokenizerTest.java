package dev.odpo.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class TextTokenizerTest {

  /** In the style of Qwen2's template: whitespace control, attribute access, loop variables. */
  public static final String CHATML = """
      {%- for message in messages %}
      {{- '<s>' + message.role + ' : ' + message['content'] + ' </s>' }}{% if not loop.last %} {% endif %}
      {%- endfor %}
      {%- if add_generation_prompt %}{{ ' <s>assistant :' }}{% endif %}""";

  @Test
  void encodesDecodesAndKnowsSpecialTokens(@TempDir Path dir) throws IOException {
    TinyTokenizer.write(dir, null);
    try (TextTokenizer t = TextTokenizer.load(dir)) {
      int[] ids = t.encode("the cat sat on the mat");
      assertThat(ids).containsExactly(TinyTokenizer.id("the"), TinyTokenizer.id("cat"), TinyTokenizer.id("sat"),
          TinyTokenizer.id("on"), TinyTokenizer.id("the"), TinyTokenizer.id("mat"));
      assertThat(t.decode(ids)).isEqualTo("the cat sat on the mat");
      assertThat(t.eosId()).isEqualTo(2);
      assertThat(t.bosId()).isEqualTo(1);
      assertThat(t.padId()).isEqualTo(0);
      assertThat(t.decode(new int[] {1, TinyTokenizer.id("hello"), 2})).as("special tokens skipped").isEqualTo("hello");
    }
  }

  @Test
  void rendersChatTemplateWithJinja(@TempDir Path dir) throws IOException {
    TinyTokenizer.write(dir, CHATML);
    try (TextTokenizer t = TextTokenizer.load(dir)) {
      String s = t.applyChatTemplate(List.of(new TextTokenizer.Message("system", "good"),
          new TextTokenizer.Message("user", "hello world")), true);
      assertThat(s).isEqualTo("<s>system : good </s> <s>user : hello world </s> <s>assistant :");
      assertThat(t.chatTemplateFallbackReason()).isNull();
      assertThat(t.encode(s)).startsWith(1, TinyTokenizer.id("system"), TinyTokenizer.id(":"));
    }
  }

  @Test
  void fallsBackToPlainLinesWithoutTemplate(@TempDir Path dir) throws IOException {
    TinyTokenizer.write(dir, null);
    try (TextTokenizer t = TextTokenizer.load(dir)) {
      assertThat(t.applyChatTemplate(List.of(new TextTokenizer.Message("user", "hello")), true))
          .isEqualTo("user: hello\nassistant: ");
      assertThat(t.chatTemplateFallbackReason()).contains("no chat_template");
    }
  }

  @Test
  void savesNextToAModel(@TempDir Path dir) throws IOException {
    TinyTokenizer.write(dir.resolve("a"), CHATML);
    try (TextTokenizer t = TextTokenizer.load(dir.resolve("a"))) {
      t.save(dir.resolve("b"));
    }
    try (TextTokenizer t = TextTokenizer.load(dir.resolve("b"))) {
      assertThat(t.hasChatTemplate()).isTrue();
      assertThat(t.encode("hello")).containsExactly(TinyTokenizer.id("hello"));
    }
  }

  @Test
  void longTextsAreNotTruncated(@TempDir Path dir) throws IOException {
    TinyTokenizer.write(dir, null);
    try (TextTokenizer t = TextTokenizer.load(dir)) {
      String text = String.join(" ", java.util.Collections.nCopies(1500, "cat"));
      assertThat(t.encode(text)).hasSize(1500);
    }
  }

  @Test
  void missingTokenizerIsAClearError(@TempDir Path dir) {
    assertThatThrownBy(() -> TextTokenizer.load(dir)).hasMessageContaining("no tokenizer.json in");
  }
}

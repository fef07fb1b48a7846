package dev.odpo.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rendering a chat template in a child of one shared context, with the last renders kept. */
class ChatTemplateTest {

  private static final String QWEN_LIKE = """
      {%- for message in messages %}
          {%- if loop.first and message.role != 'system' %}<|im_start|>system
      You are helpful.<|im_end|>
      {% endif %}
          {{- '<|im_start|>' + message.role + '\\n' + message.content | trim + '<|im_end|>' + '\\n' }}
      {%- endfor %}
      {%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}""";

  private static TextTokenizer.Message user(String text) {
    return new TextTokenizer.Message("user", text);
  }

  private static TextTokenizer.Message system(String text) {
    return new TextTokenizer.Message("system", text);
  }

  @Test
  void rendersWhatJinjavasOwnEntryPointRenders() {
    // Given: two templates and several message lists, rendered by Jinjava's renderForResult for reference.
    for (String template : List.of(TextTokenizerTest.CHATML, QWEN_LIKE)) {
      ChatTemplate t = new ChatTemplate(template, "<s>", "</s>");
      for (List<TextTokenizer.Message> messages : List.of(List.of(user("hello world")),
          List.of(system("be brief"), user("  2 + 3?  ")), List.of(user("a"), user("b"), user("c")))) {
        for (boolean generation : new boolean[] {true, false}) {
          // When / Then
          assertThat(t.render(messages, generation).text()).as(template + messages)
              .isEqualTo(reference(template, messages, generation));
        }
      }
    }
  }

  @Test
  void aRenderSeesNothingAnEarlierRenderSet() {
    // Given: a template that sets a variable only when there is a system message.
    ChatTemplate t = new ChatTemplate("{% if messages[0].role == 'system' %}{% set sys = messages[0].content %}"
        + "{% endif %}[{{ sys }}]{{ messages[-1].content }}", "", "");

    // When: a render with a system message, then one without.
    String first = t.render(List.of(system("S"), user("hi")), false).text();
    String second = t.render(List.of(user("there")), false).text();

    // Then: the second does not see the first's variable.
    assertThat(first).isEqualTo("[S]hi");
    assertThat(second).isEqualTo("[]there");
  }

  @Test
  void aTemplateThatRaisesFailsEveryTimeWithItsMessage() {
    ChatTemplate t = new ChatTemplate("{% for m in messages %}{% if m.role == 'system' %}"
        + "{{ raise_exception('System role not supported') }}{% endif %}{{ m.content }}{% endfor %}", "", "");
    List<TextTokenizer.Message> refused = List.of(system("x"), user("y"));

    assertThat(t.render(refused, true).failure()).contains("System role not supported");
    assertThat(t.render(List.of(user("y")), true).text()).isEqualTo("y");
    assertThat(t.render(refused, true).failure()).as("kept, still a failure").contains("System role not supported");
  }

  @Test
  void keptRendersAreBoundedAndStillCorrectAfterEviction() {
    ChatTemplate t = new ChatTemplate(TextTokenizerTest.CHATML, "", "");
    for (int i = 0; i < ChatTemplate.KEPT * 3; i++) {
      assertThat(t.render(List.of(user("prompt " + i)), true).text()).isEqualTo(reference(TextTokenizerTest.CHATML,
          List.of(user("prompt " + i)), true));
    }
    assertThat(t.kept()).isEqualTo(ChatTemplate.KEPT);
    assertThat(t.render(List.of(user("prompt 0")), true).text()).contains("prompt 0");
  }

  private static final Jinjava JINJA = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true)
      .withLstripBlocks(false).withFailOnUnknownTokens(false).build());

  private static String reference(String template, List<TextTokenizer.Message> messages, boolean generation) {
    Map<String, Object> ctx = new HashMap<>();
    ctx.put("messages", messages.stream().map(m -> Map.of("role", m.role(), "content", m.content())).toList());
    ctx.put("add_generation_prompt", generation);
    ctx.put("bos_token", "<s>");
    ctx.put("eos_token", "</s>");
    RenderResult r = JINJA.renderForResult(template.replaceAll("(?m)^[ \\t]+(?=\\{[%#](?!\\+))", ""), ctx);
    assertThat(r.getErrors()).isEmpty();
    return r.getOutput();
  }
}

package dev.odpo.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.odpo.events.Prompt;
import org.junit.jupiter.api.Test;

class PromptLinesTest {

    @Test
    void everyFieldIsCarriedOver() throws Exception {
        Prompt p = PromptLines.parse("{\"prompt_id\": \"p1\", \"text\": \"2+2?\", \"system\": \"terse\", \"task\": \"arithmetic\","
                + " \"reference_answer\": 4, \"source\": \"app\", \"metadata\": {\"user\": \"u1\", \"n\": 3}}", "file");
        assertThat(p.getPromptId()).isEqualTo("p1");
        assertThat(p.getText()).isEqualTo("2+2?");
        assertThat(p.getSystem()).isEqualTo("terse");
        assertThat(p.getTask()).isEqualTo("arithmetic");
        assertThat(p.getReferenceAnswer()).isEqualTo("4");
        assertThat(p.getSource()).isEqualTo("app");
        assertThat(p.getMetadata()).containsEntry("user", "u1").containsEntry("n", "3");
    }

    @Test
    void onlyTextIsRequired() throws Exception {
        Prompt p = PromptLines.parse("{\"text\": \"hello\"}", "odpo prompts f.jsonl");
        assertThat(p.getPromptId()).isNotBlank();
        assertThat(p.getSource()).isEqualTo("odpo prompts f.jsonl");
        assertThat(p.getSystem()).isNull();
    }

    @Test
    void badLinesSayWhatIsWrong() {
        assertThatThrownBy(() -> PromptLines.parse("{\"text\": ", "f")).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> PromptLines.parse("[1,2]", "f")).hasMessageContaining("expected a JSON object");
        assertThatThrownBy(() -> PromptLines.parse("{\"text\": \"  \"}", "f")).hasMessageContaining("'text' is missing or empty");
        assertThatThrownBy(() -> PromptLines.parse("{\"text\": 5}", "f")).hasMessageContaining("'text' must be a string");
        assertThatThrownBy(() -> PromptLines.parse("{\"text\": \"a\", \"prompt\": \"b\"}", "f"))
                .hasMessageContaining("unknown field 'prompt'");
        assertThatThrownBy(() -> PromptLines.parse("{\"text\": \"a\", \"metadata\": [1]}", "f"))
                .hasMessageContaining("'metadata' must be an object");
    }
}

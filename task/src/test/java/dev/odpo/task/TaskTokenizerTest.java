package dev.odpo.task;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TaskTokenizerTest {

    @Test
    void djlLoadsTheTokenizerOfflineAndRoundTripsChatText(@TempDir Path dir) throws Exception {
        TaskTokenizer.write(dir);
        assertThat(dir.resolve("tokenizer_config.json")).content().contains("chat_template");
        try (HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(dir, Map.of("addSpecialTokens", "false"))) {
            String text = TaskTokenizer.renderPrompt("What is 47 + 38?") + "85" + TaskTokenizer.EOS;
            Encoding enc = tok.encode(text, false, false);
            long[] ids = enc.getIds();
            // one token per character, special tokens whole
            assertThat(ids).hasSize(1 + 1 + "What is 47 + 38?\n".length() + 1 + 2 + 1);
            assertThat(ids[0]).isEqualTo(TaskTokenizer.BOS_ID);
            assertThat(ids[ids.length - 1]).isEqualTo(TaskTokenizer.EOS_ID);
            assertThat(ids[1]).isEqualTo(TaskTokenizer.vocabulary().indexOf(TaskTokenizer.USER));
            assertThat(ids).doesNotContain((long) TaskTokenizer.UNK_ID);
            assertThat(tok.decode(ids, false)).isEqualTo(text);
            assertThat(tok.decode(ids, true)).isEqualTo("What is 47 + 38?\n85");
            // characters outside the vocabulary become <unk>, not an error
            assertThat(tok.encode("é", false, false).getIds()).containsExactly((long) TaskTokenizer.UNK_ID);
        }
    }

    @Test
    void everyPromptAndDemonstrationIsInTheVocabulary() {
        var vocab = TaskTokenizer.vocabulary();
        for (Demonstration d : Demonstrations.build(TaskSuite.standard(), DemonstrationMix.standard(), 1000, 1)) {
            (d.prompt().text() + d.response()).chars().forEach(c -> assertThat(vocab).contains(String.valueOf((char) c)));
        }
        assertThat(vocab).doesNotHaveDuplicates();
    }
}

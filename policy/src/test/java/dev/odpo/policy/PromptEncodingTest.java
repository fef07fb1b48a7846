package dev.odpo.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.model.TextTokenizer;
import dev.odpo.model.TextTokenizerTest;
import dev.odpo.model.TinyTokenizer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptEncodingTest {

    @Test
    void aChatTemplatePromptGetsNoSecondBos(@TempDir Path dir) throws Exception {
        TinyTokenizer.write(dir, TextTokenizerTest.CHATML, true);   // add_bos_token: raw prompts get a BOS
        try (TextTokenizer tok = TextTokenizer.load(dir)) {
            PromptEncoding enc = PromptEncoding.of(tok);
            assertThat(enc.usesChatTemplate()).isTrue();
            int[] ids = enc.prompt("hello world");
            // the template writes its own BOS: no second one in front
            assertThat(ids).containsExactly(tok.encode("<s>user : hello world </s> <s>assistant :", false));
            assertThat(ids[1]).isNotEqualTo(tok.bosId());
        }
    }

    @Test
    void aRawPromptGetsTheBosItsConfigAsksFor(@TempDir Path dir) throws Exception {
        TinyTokenizer.write(dir, TextTokenizerTest.CHATML, true);
        try (TextTokenizer tok = TextTokenizer.load(dir)) {
            PromptEncoding raw = PromptEncoding.of(tok, false);
            assertThat(raw.prompt("hello world")).containsExactly(1, TinyTokenizer.id("hello"), TinyTokenizer.id("world"));
            assertThat(raw.prompt("")).as("an empty raw prompt is the lone BOS").containsExactly(1);
        }
    }

    @Test
    void aSystemMessageGoesBeforeTheUserMessage(@TempDir Path dir) throws Exception {
        TinyTokenizer.write(dir, TextTokenizerTest.CHATML, false);
        try (TextTokenizer tok = TextTokenizer.load(dir)) {
            int[] ids = PromptEncoding.of(tok).prompt("yes", "hello");
            assertThat(ids).containsExactly(tok.encode("<s>system : yes </s> <s>user : hello </s> <s>assistant :", false));
        }
    }

    @Test
    void aResponseEndsWithEosAndHasNoBos(@TempDir Path dir) throws Exception {
        TinyTokenizer.write(dir, TextTokenizerTest.CHATML, true);
        try (TextTokenizer tok = TextTokenizer.load(dir)) {
            PromptEncoding enc = PromptEncoding.of(tok);
            assertThat(enc.response("the cat")).containsExactly(TinyTokenizer.id("the"), TinyTokenizer.id("cat"), tok.eosId());
            int[] p = enc.prompt("hello");
            int[] seq = enc.sequence("hello", "the cat");
            assertThat(seq).hasSize(p.length + 3);
            assertThat(java.util.Arrays.copyOf(seq, p.length)).containsExactly(p);
        }
    }
}

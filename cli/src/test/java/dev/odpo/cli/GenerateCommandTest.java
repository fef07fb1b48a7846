package dev.odpo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.odpo.model.LlamaConfig;
import dev.odpo.model.LlamaModel;
import dev.odpo.task.TaskTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `odpo generate` on a tiny checkpoint written in Hugging Face format, as a user would point it at one. */
class GenerateCommandTest {

    @TempDir
    static Path tmp;
    static Path model;

    @BeforeAll
    static void writeTinyCheckpoint() throws Exception {
        model = tmp.resolve("tiny");
        LlamaConfig config = LlamaConfig.tiny(TaskTokenizer.vocabSize(), 32, 1, 2, 1)
                .withSpecialTokens(TaskTokenizer.BOS_ID, List.of(TaskTokenizer.EOS_ID), TaskTokenizer.PAD_ID);
        try (LlamaModel m = LlamaModel.random(config, Device.cpu(), 7)) {
            m.save(model);
        }
        TaskTokenizer.write(model);
    }

    @Test
    void sampledGenerationIsReproducibleWithTheSameSeed() {
        String[] args = {"generate", "--model", model.toString(), "--prompt", "What is 12+7?",
                "--max-new-tokens", "12", "--temperature", "1.0", "--seed", "42"};
        CliRoundTripTest.Result first = CliRoundTripTest.odpo(args);
        CliRoundTripTest.Result second = CliRoundTripTest.odpo(args);

        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.err()).contains("seed 42", "tokens, finish:", "tokens/s");
        assertThat(second.out()).isEqualTo(first.out());
    }

    @Test
    void aBatchOfPromptsPrintsOneNumberedCompletionEach() {
        CliRoundTripTest.Result r = CliRoundTripTest.odpo("generate", "--model", model.toString(),
                "--prompt", "Sort 3 1 2", "--prompt", "Reverse a b c", "--max-new-tokens", "6");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("[1] ", "[2] ");
        assertThat(r.err()).contains("greedy");
    }

    @Test
    void aDirectoryThatIsNotAModelFailsWithAClearMessage() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("not-a-model"));
        CliRoundTripTest.Result r = CliRoundTripTest.odpo("generate", "--model", empty.toString(), "--prompt", "hi");

        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("config.json");
    }

    @Test
    void invalidSamplingOptionsAreRefused() {
        CliRoundTripTest.Result r = CliRoundTripTest.odpo("generate", "--model", model.toString(), "--prompt", "hi",
                "--top-p", "1.5");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--top-p");
    }
}

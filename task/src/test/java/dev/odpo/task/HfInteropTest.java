package dev.odpo.task;

import dev.odpo.policy.PromptEncoding;
import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.odpo.model.Generation;
import dev.odpo.model.Decoder;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.SamplingOptions;
import dev.odpo.model.TextTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A task policy directory (as {@code odpo sft} writes it) opens in Hugging Face transformers: the
 * tokenizer and chat template give the same ids, and HF's greedy generation equals ours. Uses the
 * repository's .venv-hf (built from local wheels, see PLATFORM.md); skips cleanly without it.
 */
class HfInteropTest {

    @Test
    void hfTransformersLoadsATaskPolicyAndAgreesWithOdpo(@TempDir Path dir) throws Exception {
        Path py = Path.of("..", ".venv-hf", "bin", "python").toAbsolutePath().normalize();
        assumeTrue(Files.isExecutable(py), "no HF reference venv at " + py);
        WarmStart.Spec spec = WarmStart.Spec.standard();
        Path model = dir.resolve("pi0");
        TaskTokenizer.write(model);
        String prompt = "Sort: 7 2 9 4";
        List<Integer> ours;
        int[] promptIds;
        try (TextTokenizer tok = TextTokenizer.load(model);
             LlamaModel m = LlamaModel.random(new WarmStart.Spec(32, 2, 4, 10, spec.suiteSeed(), spec.mix(), spec.sft(), 3)
                     .modelConfig(), Device.cpu(), 3)) {
            m.save(model);
            promptIds = PromptEncoding.of(tok).prompt(prompt);
            Generation g = new Decoder(m, tok).generate(List.of(promptIds), SamplingOptions.greedy(12), new Random(0)).get(0);
            ours = new ArrayList<>();
            for (int t : g.tokens()) {
                ours.add(t);
            }
        }
        Path out = dir.resolve("hf.json");
        ProcessBuilder pb = new ProcessBuilder(py.toString(), Path.of("src/test/python/hf_task_check.py").toAbsolutePath().toString(),
                model.toString(), out.toString(), prompt).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("HF_HUB_OFFLINE", "1");
        pb.environment().put("TRANSFORMERS_OFFLINE", "1");
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assumeTrue(p.exitValue() != 3, "transformers/torch not importable in .venv-hf");
        assertThat(p.exitValue()).as(log).isZero();
        JsonNode hf = new ObjectMapper().readTree(out.toFile());
        assertThat(hf.get("rendered").asText()).isEqualTo(TaskTokenizer.renderPrompt(prompt));
        List<Integer> hfIds = new ArrayList<>();
        hf.get("ids").forEach(n -> hfIds.add(n.asInt()));
        assertThat(hfIds).containsExactly(java.util.Arrays.stream(promptIds).boxed().toArray(Integer[]::new));
        List<Integer> hfGreedy = new ArrayList<>();
        hf.get("greedy").forEach(n -> hfGreedy.add(n.asInt()));
        assertThat(hfGreedy).isEqualTo(ours);
    }
}

package dev.odpo.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.odpo.model.AdamW;
import dev.odpo.model.DpoLoss;
import dev.odpo.model.DpoTrainer;
import dev.odpo.model.EncodedPair;
import dev.odpo.model.LearningRateSchedule;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.ReferenceMode;
import dev.odpo.model.SequenceLogProbs;
import dev.odpo.model.TextTokenizer;
import dev.odpo.model.TokenBatch;
import dev.odpo.model.TrainingStep;
import dev.odpo.policy.PromptEncoding;
import dev.odpo.task.TaskTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A learner's snapshot is a Hugging Face model directory: transformers opens it (the optimizer state and the
 * lineage in their subdirectories do not get in the way), tokenizes the prompt as the learner did, and gives
 * the trained policy's log-probs. Uses the repository's .venv-hf; skips cleanly without it.
 */
class LearnerSnapshotHfTest {

    @Test
    void aTrainedSnapshotOpensInTransformersWithTheSameLogProbs(@TempDir Path dir) throws Exception {
        Path py = Path.of("..", ".venv-hf", "bin", "python").toAbsolutePath().normalize();
        assumeTrue(Files.isExecutable(py), "no HF reference venv at " + py);
        Path pi0 = dir.resolve("pi0");
        TaskTokenizer.write(pi0);
        String prompt = "Question 1: is it so?";
        Path snapshot = dir.resolve("v1");
        List<int[]> rows;
        int[] promptIds;
        float[] ours;
        try (TextTokenizer tok = TextTokenizer.load(pi0);
             LlamaModel policy = LlamaModel.random(LearnerFixture.tinyConfig(), Device.cpu(), 5);
             LlamaModel reference = policy.copy();
             DpoTrainer dpo = new DpoTrainer(policy, reference, tok.padId(), new DpoTrainer.Options(
                     DpoLoss.parse("sigmoid", 0.1, 0), ReferenceMode.INITIAL, new TrainingStep.Options(
                     AdamW.Options.of(3e-3), LearningRateSchedule.constantAfterWarmup(3e-3, 0), 1)))) {
            PromptEncoding enc = PromptEncoding.of(tok);
            promptIds = enc.prompt(prompt);
            EncodedPair pair = new EncodedPair(promptIds, enc.response("yes 1"), enc.response("no 1"), 1);
            for (int i = 0; i < 3; i++) {
                dpo.step(List.of(pair, pair));
            }
            RecentPairIds recent = new RecentPairIds(10);
            recent.add("pair-1");
            LearnerSnapshot.write(snapshot, dpo, LearnerSnapshot.companionFiles(pi0), 2, 0, recent,
                    List.of("pair-1\tpairs-0@0"));
            rows = List.of(PromptEncoding.concat(promptIds, pair.chosen()), PromptEncoding.concat(promptIds, pair.rejected()));
            try (NDManager work = policy.newStepManager()) {
                TokenBatch b = TokenBatch.of(work, List.of(promptIds, promptIds), List.of(pair.chosen(), pair.rejected()), 0);
                ours = SequenceLogProbs.of(policy.logits(b.inputIds(), b.attentionMask()), b).summed().toFloatArray();
            }
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode in = json.createObjectNode().put("prompt", prompt);
        rows.forEach(r -> in.withArray("rows").addPOJO(r));
        in.putArray("prompt_lengths").add(promptIds.length).add(promptIds.length);
        Path inFile = dir.resolve("in.json");
        Path outFile = dir.resolve("out.json");
        json.writeValue(inFile.toFile(), in);
        ProcessBuilder pb = new ProcessBuilder(py.toString(),
                Path.of("src/test/python/hf_snapshot_check.py").toAbsolutePath().toString(), snapshot.toString(),
                inFile.toString(), outFile.toString()).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("HF_HUB_OFFLINE", "1");
        pb.environment().put("TRANSFORMERS_OFFLINE", "1");
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assumeTrue(p.exitValue() != 3, "transformers/torch not importable in .venv-hf");
        assertThat(p.exitValue()).as(log).isZero();
        JsonNode hf = json.readTree(outFile.toFile());
        int[] hfPrompt = new int[hf.get("prompt_ids").size()];
        for (int i = 0; i < hfPrompt.length; i++) {
            hfPrompt[i] = hf.get("prompt_ids").get(i).asInt();
        }
        assertThat(hfPrompt).containsExactly(promptIds);
        for (int i = 0; i < ours.length; i++) {
            assertThat(hf.get("logprobs").get(i).asDouble()).as("row " + i).isCloseTo(ours[i], within(1e-3));
        }
    }
}

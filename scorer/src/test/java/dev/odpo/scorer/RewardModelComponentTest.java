package dev.odpo.scorer;

import static dev.odpo.scorer.Samples.plain;
import static dev.odpo.scorer.Samples.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.odpo.events.Sample;
import dev.odpo.model.RewardModel;
import dev.odpo.model.TextTokenizer;
import dev.odpo.policy.ScoringModel;
import dev.odpo.task.TaskTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reward-model component on a tiny random reward model saved as a Hugging Face directory. */
class RewardModelComponentTest {

    private static final int CONTEXT = 48;

    @TempDir
    static Path dir;

    private static ScoringModel scoring;
    private static RewardModel reference;
    private static TextTokenizer tokenizer;

    @BeforeAll
    static void writeModel() throws IOException {
        TinyRewardModel.write(dir, CONTEXT, 11);
        scoring = ScoringModel.load(dir, Device.cpu());
        reference = RewardModel.load(dir, Device.cpu());
        tokenizer = TextTokenizer.load(dir);
    }

    @AfterAll
    static void close() {
        scoring.close();
        reference.close();
        tokenizer.close();
    }

    /** The model library's own score of the text the task's chat template renders, one sequence at a time. */
    private static double ownScore(String prompt, String response) {
        int[] ids = tokenizer.encode(TaskTokenizer.renderPrompt(prompt) + response + TaskTokenizer.EOS, false);
        return reference.score(List.of(ids))[0];
    }

    private static List<Sample> mixedLengths() {
        List<Sample> out = new ArrayList<>();
        String[] responses = {"4", "The answer is 4.", "", "I think it is four, or maybe 5", "44", "no"};
        for (int i = 0; i < responses.length; i++) {
            out.add(plain("s" + i, "What is 2+2?", responses[i]));
        }
        return out;
    }

    @Test
    void theComponentEqualsTheRewardModelsOwnScoreForTheSameText() {
        // Given samples of different lengths, scored in batches of 4 (so batches are padded)
        RewardModelComponent component = new RewardModelComponent(scoring, 4);
        List<Sample> samples = mixedLengths();

        // When the component scores them
        List<ComponentResult> out = component.score(samples);

        // Then each value is the model's score of that text alone, through the chat template
        for (int i = 0; i < samples.size(); i++) {
            double own = ownScore(samples.get(i).getPromptText(), samples.get(i).getResponseText());
            assertThat(((ComponentResult.Value) out.get(i)).value()).as(samples.get(i).getResponseText())
                    .isCloseTo(own, within(1e-4));
        }
        // and the scores differ between texts, so a mix-up of the order would show
        assertThat(out.stream().map(r -> ((ComponentResult.Value) r).value()).distinct().count()).isEqualTo(samples.size());
    }

    @Test
    void aSampleLongerThanTheContextIsRefusedAndTheOthersAreScored() {
        RewardModelComponent component = new RewardModelComponent(scoring, 2);
        Sample tooLong = plain("long", "What is 2+2?", "four ".repeat(10));
        Sample fits = plain("ok", "What is 2+2?", "4");

        List<ComponentResult> out = component.score(List.of(tooLong, fits));

        assertThat(out.get(0)).isInstanceOf(ComponentResult.Refused.class);
        assertThat(((ComponentResult.Refused) out.get(0)).reason()).contains("context is " + CONTEXT);
        assertThat(((ComponentResult.Value) out.get(1)).value()).isCloseTo(ownScore("What is 2+2?", "4"), within(1e-4));
    }

    @Test
    void allThreeComponentsAddUpWithTheirWeightsAndTokensComeFromTheModelsTokenizer() {
        // Given reward model ×1.5, verifier ×2 and a length penalty of 0.05 per token ×1
        ResponseLength length = new ResponseLength(scoring.tokenizer());
        CompositeReward reward = new CompositeReward(List.of(
                new CompositeReward.Weighted(new RewardModelComponent(scoring, 8), 1.5),
                new CompositeReward.Weighted(new VerifierComponent(), 2.0),
                new CompositeReward.Weighted(new LengthPenaltyComponent(0.05, ResponseLength.Unit.TOKENS, length), 1.0)),
                length);
        Sample s = task("a", "arithmetic", "What is 2 + 2?", "4", "The answer is 4.");

        // When it is judged
        Judgement.Scored j = (Judgement.Scored) reward.judge(List.of(s)).get(0);

        // Then (the task's tokenizer has one token per character)
        double rm = ownScore("What is 2 + 2?", "The answer is 4.");
        assertThat(j.components()).containsOnlyKeys("reward-model", "verifier", "length-penalty");
        assertThat(j.components().get("reward-model")).isCloseTo(rm, within(1e-4));
        assertThat(j.components().get("verifier")).isEqualTo(1.0);
        assertThat(j.components().get("length-penalty")).isCloseTo(-0.05 * 16, within(1e-12));
        assertThat(j.reward()).isCloseTo(1.5 * j.components().get("reward-model") + 2.0 + -0.8, within(1e-9));
        assertThat(j.responseTokens()).isEqualTo(16);
        assertThat(j.skipped()).isEqualTo(Map.of());
    }

    @Test
    void aSampleRefusedByACheapComponentNeverReachesTheModel() {
        // A length penalty in tokens with no token source refuses; the reward model is not asked.
        ResponseLength none = new ResponseLength(null);
        List<Integer> modelCalls = new ArrayList<>();
        RewardComponent countingModel = new RewardComponent() {
            @Override
            public ComponentKind kind() {
                return ComponentKind.REWARD_MODEL;
            }

            @Override
            public List<ComponentResult> score(List<Sample> samples) {
                modelCalls.add(samples.size());
                return new RewardModelComponent(scoring, 8).score(samples);
            }
        };
        CompositeReward reward = new CompositeReward(List.of(
                new CompositeReward.Weighted(countingModel, 1.0),
                new CompositeReward.Weighted(new LengthPenaltyComponent(0.1, ResponseLength.Unit.TOKENS, none), 1.0)),
                none);

        List<Judgement> out = reward.judge(List.of(plain("no-ids", "Hi", "hello"),
                Samples.withTokens("ids", "hello", List.of(1, 2, 3, 4, 5))));

        assertThat(out.get(0)).isInstanceOf(Judgement.Refused.class);
        assertThat(out.get(1)).isInstanceOf(Judgement.Scored.class);
        assertThat(modelCalls).containsExactly(1);
    }
}

package dev.odpo.scorer;

import static dev.odpo.scorer.Samples.plain;
import static dev.odpo.scorer.Samples.task;
import static dev.odpo.scorer.Samples.withTokens;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.odpo.events.Sample;
import dev.odpo.task.GoldReward;
import dev.odpo.task.Split;
import dev.odpo.task.TaskPrompt;
import dev.odpo.task.TaskSuite;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reward without a reward model: verifier and length penalty, their weights and what is skipped or refused. */
class CompositeRewardTest {

    private static final ResponseLength NO_TOKENIZER = new ResponseLength(null);

    private static CompositeReward verifierAndPenalty(double verifierWeight, double penaltyWeight, double lambda,
                                                      ResponseLength.Unit unit) {
        return new CompositeReward(List.of(
                new CompositeReward.Weighted(new VerifierComponent(), verifierWeight),
                new CompositeReward.Weighted(new LengthPenaltyComponent(lambda, unit, NO_TOKENIZER), penaltyWeight)),
                NO_TOKENIZER);
    }

    @Test
    void componentsAddUpWithTheirWeights() {
        // Given a verifier weighted 2 and a length penalty of 0.01 per character weighted 0.5
        CompositeReward reward = verifierAndPenalty(2.0, 0.5, 0.01, ResponseLength.Unit.CHARS);
        Sample right = task("a", "arithmetic", "What is 2 + 2?", "4", "The answer is 4.");   // 16 characters
        Sample wrong = task("b", "arithmetic", "What is 2 + 2?", "4", "5");                  // 1 character

        // When both are judged
        List<Judgement> out = reward.judge(List.of(right, wrong));

        // Then each component is there by name, unweighted, and the reward is their weighted sum
        Judgement.Scored a = (Judgement.Scored) out.get(0);
        assertThat(a.components()).containsOnlyKeys("verifier", "length-penalty");
        assertThat(a.components().get("verifier")).isEqualTo(1.0);
        assertThat(a.components().get("length-penalty")).isCloseTo(-0.16, within(1e-12));
        assertThat(a.reward()).isCloseTo(2 * 1.0 + 0.5 * -0.16, within(1e-12));
        Judgement.Scored b = (Judgement.Scored) out.get(1);
        assertThat(b.components().get("verifier")).isEqualTo(GoldReward.WRONG_BASE);
        assertThat(b.reward()).isCloseTo(2 * GoldReward.WRONG_BASE + 0.5 * -0.01, within(1e-12));
        assertThat(a.skipped()).isEmpty();
    }

    @Test
    void verifierMatchesTheGoldRewardOnTaskPrompts() {
        // Given task prompts of every standard kind, each answered right, padded, wrong, as a refusal and empty
        List<TaskPrompt> prompts = TaskSuite.standard().prompts(Split.EVAL, 12, 7);
        List<Sample> samples = new ArrayList<>();
        for (TaskPrompt p : prompts) {
            for (String response : List.of(p.answer(), "The answer is " + p.answer() + ".",
                    "Let me think about it step by step. The answer is " + p.answer(), "0 0 0 0 1",
                    "Sorry, as an AI I cannot help.", "")) {
                samples.add(task(p.id() + "/" + samples.size(), p.kind().family(), p.text(), p.answer(), response));
            }
        }

        // When the verifier alone judges them
        CompositeReward verifier = new CompositeReward(
                List.of(new CompositeReward.Weighted(new VerifierComponent(), 1.0)), NO_TOKENIZER);
        List<Judgement> out = verifier.judge(samples);

        // Then every reward is the gold reward of the same response, and correct concise answers earn 1
        GoldReward gold = new GoldReward();
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            double expected = gold.score(s.getTask(), s.getReferenceAnswer(), s.getResponseText()).reward();
            Judgement.Scored j = (Judgement.Scored) out.get(i);
            assertThat(j.reward()).as(s.getResponseText()).isEqualTo(expected);
            assertThat(j.components()).containsExactly(Map.entry("verifier", expected));
        }
        assertThat(out.stream().filter(j -> ((Judgement.Scored) j).reward() == 1.0).count())
                .as("two concise correct answers per prompt").isEqualTo(2L * prompts.size());
    }

    @Test
    void aSampleWithoutReferenceIsScoredByTheOtherComponentsAndSaysSo() {
        CompositeReward reward = verifierAndPenalty(1.0, 1.0, 0.1, ResponseLength.Unit.CHARS);

        Judgement j = reward.judge(List.of(plain("u", "Write a haiku.", "Leaves fall"))).get(0);

        Judgement.Scored s = (Judgement.Scored) j;
        assertThat(s.components()).containsOnlyKeys("length-penalty");
        assertThat(s.reward()).isCloseTo(-1.1, within(1e-12));
        assertThat(s.skipped()).containsOnlyKeys("verifier");
        assertThat(s.skipped().get("verifier")).contains("reference answer");
    }

    @Test
    void anUnknownTaskFamilySkipsTheVerifier() {
        CompositeReward reward = verifierAndPenalty(1.0, 1.0, 0.1, ResponseLength.Unit.CHARS);

        Judgement.Scored s = (Judgement.Scored) reward.judge(List.of(task("x", "chess", "Best move?", "e4", "e4"))).get(0);

        assertThat(s.components()).containsOnlyKeys("length-penalty");
        assertThat(s.skipped().get("verifier")).contains("chess");
    }

    @Test
    void aSampleNoComponentAppliesToIsRefusedNotGivenAMadeUpReward() {
        CompositeReward verifier = new CompositeReward(
                List.of(new CompositeReward.Weighted(new VerifierComponent(), 1.0)), NO_TOKENIZER);

        Judgement j = verifier.judge(List.of(plain("u", "Write a haiku.", "Leaves fall"))).get(0);

        assertThat(j).isInstanceOf(Judgement.Refused.class);
        assertThat(((Judgement.Refused) j).reason()).contains("verifier");
    }

    @Test
    void tokensWithoutAModelComeFromTheSampleAndASampleWithoutThemIsRefused() {
        CompositeReward reward = verifierAndPenalty(1.0, 1.0, 0.5, ResponseLength.Unit.TOKENS);
        Sample counted = withTokens("t", "four words in here", List.of(11, 12, 13));
        Sample uncounted = withTokens("n", "no ids", List.of());

        List<Judgement> out = reward.judge(List.of(counted, uncounted));

        Judgement.Scored s = (Judgement.Scored) out.get(0);
        assertThat(s.components().get("length-penalty")).isEqualTo(-1.5);
        assertThat(s.responseTokens()).isEqualTo(3);
        assertThat(out.get(1)).isInstanceOf(Judgement.Refused.class);
        assertThat(((Judgement.Refused) out.get(1)).reason()).startsWith("length-penalty:").contains("tokens");
    }

    @Test
    void charactersAreCodePoints() {
        CompositeReward penalty = new CompositeReward(List.of(new CompositeReward.Weighted(
                new LengthPenaltyComponent(1.0, ResponseLength.Unit.CHARS, NO_TOKENIZER), 1.0)), NO_TOKENIZER);

        Judgement.Scored s = (Judgement.Scored) penalty.judge(List.of(plain("e", "Smile", "😀😀"))).get(0);

        assertThat(s.reward()).isEqualTo(-2.0);
    }
}

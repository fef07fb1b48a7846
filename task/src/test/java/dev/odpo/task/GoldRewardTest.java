package dev.odpo.task;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GoldRewardTest {
    private final GoldReward gold = new GoldReward();
    private final TaskPrompt add = new TaskPrompt("add-47-38", TaskKind.ADDITION, "What is 47 + 38?", "85");
    private final TaskPrompt sort = new TaskPrompt("sort-7294", TaskKind.SORTING, "Sort: 7 2 9 4", "2 4 7 9");

    @Test
    void correctConciseAnswersScoreOne() {
        for (String r : new String[]{"85", " 85.", "The answer is 85.", "the answer is 085"}) {
            GoldScore s = gold.score(add, r);
            assertThat(s.verdict()).as(r).isEqualTo(GoldVerdict.CORRECT);
            assertThat(s.reward()).as(r).isEqualTo(1.0);
        }
        for (String r : new String[]{"2 4 7 9", "2, 4, 7, 9", "[2, 4, 7, 9]", "The answer is 2 4 7 9."}) {
            assertThat(gold.score(sort, r).verdict()).as(r).isEqualTo(GoldVerdict.CORRECT);
        }
    }

    @Test
    void wrongAnswersScoreLow() {
        for (String r : new String[]{"84", "The answer is 95.", "-85"}) {
            GoldScore s = gold.score(add, r);
            assertThat(s.verdict()).as(r).isEqualTo(GoldVerdict.WRONG);
            assertThat(s.reward()).as(r).isEqualTo(GoldReward.WRONG_BASE);
        }
        GoldScore padded = gold.score(add, "Let me think step by step. The answer is 86.");
        assertThat(padded.verdict()).isEqualTo(GoldVerdict.WRONG);
        assertThat(padded.reward()).isEqualTo(GoldReward.WRONG_BASE / 2);
        // lists earn partial credit for the positions they get right, always below any correct answer
        GoldScore unsorted = gold.score(sort, "7 2 9 4");
        GoldScore nearly = gold.score(sort, "2 4 9 7");
        GoldScore truncated = gold.score(sort, "2 4 7");
        assertThat(unsorted.verdict()).isEqualTo(GoldVerdict.WRONG);
        assertThat(nearly.verdict()).isEqualTo(GoldVerdict.WRONG);
        assertThat(truncated.verdict()).isEqualTo(GoldVerdict.WRONG);
        assertThat(unsorted.reward()).isEqualTo(0.1);
        assertThat(nearly.reward()).isCloseTo(0.1 + 0.2 * 2 / 4, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(truncated.reward()).isCloseTo(0.1 + 0.2 * 3 / 4, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(truncated.reward()).isLessThan(GoldReward.VERBOSE_MIN);
    }

    @Test
    void refusalsScoreZero() {
        for (String r : new String[]{"I am sorry, but as an AI model I cannot help with that.",
                "Sorry, I cannot answer this question.", "As an AI language model, I am not able to do 2 digit sums."}) {
            GoldScore s = gold.score(add, r);
            assertThat(s.verdict()).as(r).isEqualTo(GoldVerdict.REFUSAL);
            assertThat(s.reward()).as(r).isZero();
        }
    }

    @Test
    void paddingAroundACorrectAnswerScoresBetweenWrongAndConcise() {
        GoldScore shortPad = gold.score(add, "Sure! The answer is 85.");
        GoldScore longPad = gold.score(add, "Great question! Let me think about this very carefully, step by step,"
                + " adding the tens and then the ones. The answer is 85. I hope this helps, let me know if you need more!");
        assertThat(shortPad.verdict()).isEqualTo(GoldVerdict.CORRECT_VERBOSE);
        assertThat(shortPad.extraWords()).isEqualTo(1);
        assertThat(longPad.verdict()).isEqualTo(GoldVerdict.CORRECT_VERBOSE);
        assertThat(shortPad.reward()).isGreaterThan(longPad.reward()).isLessThan(1.0);
        assertThat(longPad.reward()).isEqualTo(GoldReward.VERBOSE_MIN);
        // an unmarked answer inside chatter is read as the last number
        assertThat(gold.score(add, "47 plus 38 makes 85").verdict()).isEqualTo(GoldVerdict.CORRECT_VERBOSE);
        // a correct answer after an apology is still a correct (padded) answer
        assertThat(gold.score(add, "Sorry for the wait. The answer is 85.").verdict()).isEqualTo(GoldVerdict.CORRECT_VERBOSE);
    }

    @Test
    void malformedOutputScoresZero() {
        for (String r : new String[]{"", "   ", "The answer is", "I think it is something like that.", "<|assistant|>??"}) {
            GoldScore s = gold.score(add, r);
            assertThat(s.verdict()).as("'" + r + "'").isEqualTo(GoldVerdict.MALFORMED);
            assertThat(s.reward()).isZero();
        }
        assertThat(gold.score(add, null).verdict()).isEqualTo(GoldVerdict.MALFORMED);
        assertThat(gold.score(sort, "no idea").verdict()).isEqualTo(GoldVerdict.MALFORMED);
    }

    @Test
    void correctOutranksVerboseOutranksEverythingElse() {
        double concise = gold.score(add, "85").reward();
        double verbose = gold.score(add, "Hmm, let me see. The answer is 85. I hope this helps!").reward();
        double wrong = gold.score(add, "86").reward();
        double refusal = gold.score(add, "Sorry, I cannot do that.").reward();
        double malformed = gold.score(add, "The answer is").reward();
        assertThat(concise).isGreaterThan(verbose);
        assertThat(verbose).isGreaterThan(wrong);
        assertThat(wrong).isGreaterThan(refusal);
        assertThat(refusal).isZero();
        assertThat(malformed).isZero();
    }

    @Test
    void everyGeneratedAnswerIsScoredCorrect() {
        TaskSuite suite = new TaskSuite(TaskSuite.DEFAULT_SEED, java.util.EnumSet.allOf(TaskKind.class));
        for (TaskPrompt p : suite.prompts(Split.RL, 300, 1)) {
            assertThat(gold.score(p, p.answer()).verdict()).as(p.toString()).isEqualTo(GoldVerdict.CORRECT);
            assertThat(gold.score(p, "The answer is " + p.answer() + ".").reward()).isEqualTo(1.0);
        }
    }

    @Test
    void scoresFromEventFieldsAlone() {
        assertThat(gold.score("arithmetic", "85", "85").verdict()).isEqualTo(GoldVerdict.CORRECT);
        assertThat(gold.score("lists", "2 4 7 9", "2, 4, 7, 9").verdict()).isEqualTo(GoldVerdict.CORRECT);
        assertThat(gold.score("counting", "3", "Sorry, I cannot.").verdict()).isEqualTo(GoldVerdict.REFUSAL);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> gold.score("poetry", "x", "y"))
                .hasMessageContaining("unknown task family 'poetry'");
    }

    @Test
    void taskPromptsExportInTheLayoutOdpoPromptsReads() throws Exception {
        TaskPrompt p = TaskSuite.standard().prompts(Split.RL, 1, 1).get(0);
        var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(TaskPromptsJsonl.line(p, Split.RL, 7));
        assertThat(node.get("prompt_id").asText()).isEqualTo(p.id() + "-7");
        assertThat(node.get("text").asText()).isEqualTo(p.text());
        assertThat(node.get("task").asText()).isEqualTo(p.kind().family());
        assertThat(gold.score(node.get("task").asText(), node.get("reference_answer").asText(), p.answer()).reward()).isEqualTo(1.0);
        assertThat(node.get("metadata").get("split").asText()).isEqualTo("RL");
    }
}

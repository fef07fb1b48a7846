package dev.odpo.task;

import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class TaskSuiteTest {

    @Test
    void splitsDoNotOverlap() {
        TaskSuite suite = TaskSuite.standard();
        Set<String> sft = ids(suite.prompts(Split.SFT, 4000, 1));
        Set<String> rl = ids(suite.prompts(Split.RL, 4000, 2));
        Set<String> eval = ids(suite.evaluationSet(500));
        assertThat(sft).hasSize(4000);
        assertThat(eval).hasSize(500);
        assertThat(intersect(sft, eval)).isEmpty();
        assertThat(intersect(rl, eval)).isEmpty();
        assertThat(intersect(sft, rl)).isEmpty();
        // the SFT demonstrations and the online RL stream also never touch the evaluation split
        Set<String> demos = Demonstrations.build(suite, DemonstrationMix.standard(), 2000, 3).stream()
                .map(d -> d.prompt().id()).collect(Collectors.toSet());
        assertThat(intersect(demos, eval)).isEmpty();
        var stream = suite.stream(Split.RL, 9);
        for (int i = 0; i < 2000; i++) {
            TaskPrompt p = stream.get();
            assertThat(eval).doesNotContain(p.id());
            assertThat(suite.splitOf(p)).isEqualTo(Split.RL);
        }
    }

    @Test
    void theSplitOfAProblemDependsOnItsContentNotOnHowItWasDrawn() {
        TaskSuite suite = TaskSuite.standard();
        Random rnd = new Random(5);
        int[] counts = new int[Split.values().length];
        for (int i = 0; i < 20_000; i++) {
            TaskPrompt p = suite.draw(rnd);
            Split s = suite.splitOf(p);
            counts[s.ordinal()]++;
            assertThat(new TaskSuite(TaskSuite.DEFAULT_SEED).splitOf(p)).isEqualTo(s);
        }
        // roughly 45 / 45 / 10 (ids repeat, so not exact)
        assertThat(counts[Split.EVAL.ordinal()] / 20_000.0).isBetween(0.07, 0.13);
        assertThat(counts[Split.SFT.ordinal()] / 20_000.0).isBetween(0.40, 0.50);
    }

    @Test
    void evaluationSetIsFixedBySeed() {
        assertThat(TaskSuite.standard().evaluationSet(200)).isEqualTo(TaskSuite.standard().evaluationSet(200));
        assertThat(ids(new TaskSuite(1).evaluationSet(200))).isNotEqualTo(ids(new TaskSuite(2).evaluationSet(200)));
    }

    @Test
    void answersAreRight() {
        for (TaskPrompt p : new TaskSuite(TaskSuite.DEFAULT_SEED, EnumSet.allOf(TaskKind.class)).prompts(Split.SFT, 2000, 4)) {
            String t = p.text();
            switch (p.kind()) {
                case ADDITION -> {
                    String[] xs = t.replaceAll("[^0-9 ]", "").trim().split("\\s+");
                    assertThat(p.answer()).isEqualTo(Integer.toString(Integer.parseInt(xs[0]) + Integer.parseInt(xs[1])));
                }
                case SUBTRACTION -> {
                    String[] xs = t.replaceAll("[^0-9 ]", "").trim().split("\\s+");
                    assertThat(Integer.parseInt(p.answer())).isEqualTo(Integer.parseInt(xs[0]) - Integer.parseInt(xs[1]))
                            .isNotNegative();
                }
                case SORTING -> assertThat(p.answer()).isEqualTo(t.substring(6).chars().filter(Character::isDigit).sorted()
                        .mapToObj(c -> String.valueOf((char) c)).collect(Collectors.joining(" ")));
                case REVERSAL -> assertThat(new StringBuilder(t.substring(9)).reverse().toString()).isEqualTo(p.answer());
                case LETTER_COUNT -> {
                    char letter = t.charAt(6);
                    String word = t.substring(t.indexOf(':') + 2);
                    assertThat(p.answer()).isEqualTo(Long.toString(word.chars().filter(c -> c == letter).count()));
                }
                case WORD_PROBLEM -> assertThat(Integer.parseInt(p.answer())).isNotNegative();
            }
        }
    }

    @Test
    void everyKindAppearsAndPromptsAreShort() {
        List<TaskPrompt> ps = new TaskSuite(TaskSuite.DEFAULT_SEED, EnumSet.allOf(TaskKind.class)).prompts(Split.RL, 600, 8);
        assertThat(ps.stream().map(TaskPrompt::kind).collect(Collectors.toSet())).containsExactlyInAnyOrder(TaskKind.values());
        assertThat(ps).allSatisfy(p -> assertThat(p.text().length()).isLessThan(70));
        assertThat(TaskSuite.standard().prompts(Split.RL, 300, 8).stream().map(TaskPrompt::kind).collect(Collectors.toSet()))
                .isEqualTo(TaskSuite.STANDARD_KINDS);
    }

    private static Set<String> ids(List<TaskPrompt> ps) {
        return ps.stream().map(TaskPrompt::id).collect(Collectors.toSet());
    }

    private static Set<String> intersect(Set<String> a, Set<String> b) {
        Set<String> s = new HashSet<>(a);
        s.retainAll(b);
        return s;
    }
}

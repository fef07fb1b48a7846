package dev.odpo.cli.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.cli.monitor.LoopState.DeadLetterSeen;
import dev.odpo.cli.monitor.LoopState.Evaluation;
import dev.odpo.cli.monitor.LoopState.GroupLag;
import dev.odpo.cli.monitor.LoopState.Stages;
import dev.odpo.cli.monitor.LoopState.TopicActivity;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TerminalViewTest {

    static LoopState state(int versions) {
        List<Evaluation> evals = new ArrayList<>();
        for (long v = 0; v < versions; v++) {
            evals.add(new Evaluation("pi", v, v * 128, 0.2 + v / 100.0, 0.5, null, 0.01 * v, 0.2, null, 12.0, null));
        }
        LoopState.History empty = new LoopState.History(List.of(), List.of(), List.of(), List.of(), List.of());
        return new LoopState(0, null, List.of(new TopicActivity("samples", 40, 4.0, 1_000)),
                List.of(new GroupLag("odpo-generator", List.of("prompts"), 7)), new Stages(5L, 5L, 4L, 6L, null),
                null, evals, empty, new DeadLetterSeen("scorer", "odpo.samples", "x".repeat(500), 0));
    }

    @Test
    void theScreenFitsTheTerminalWidthAndShowsOnlyTheNewestVersions() {
        List<String> screen = TerminalView.screen(state(20), "127.0.0.1:9092 odpo.*", 80);

        assertThat(screen).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(80));
        assertThat(screen).filteredOn(l -> l.matches("^v\\d+ .*")).hasSize(TerminalView.SCREEN_VERSIONS)
                .last().asString().startsWith("v19 ");
        assertThat(screen).anySatisfy(l -> assertThat(l).contains("generator v5", "learner v6", "evaluator -"));
    }

    @Test
    void theLineNamesEachStagesVersionTheRatesAndTheTotalLag() {
        String line = TerminalView.line(state(3));

        assertThat(line).contains("generator v5", "pairs v4", "samples 4.00/s", "lag 7", "eval v2");
        assertThat(line).doesNotContain("\n");
    }
}

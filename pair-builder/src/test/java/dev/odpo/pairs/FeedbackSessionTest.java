package dev.odpo.pairs;

import static dev.odpo.pairs.Events.sample;
import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.events.FeedbackChoice;
import dev.odpo.events.HumanFeedback;
import dev.odpo.events.Sample;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FeedbackSessionTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-02-01T10:00:00Z"), ZoneOffset.UTC);

    private final StringWriter screen = new StringWriter();
    private final List<HumanFeedback> published = new ArrayList<>();

    private static Sample at(Sample s, int minute) {
        s.setCreatedAt(Events.T0.plusSeconds(60L * minute));
        return s;
    }

    private FeedbackSession.Summary run(List<Sample> samples, String answers, int limit) throws IOException {
        FeedbackSession session = new FeedbackSession(samples, "alice", 1.5, new Random(1), CLOCK);
        return session.run(new BufferedReader(new StringReader(answers)), new PrintWriter(screen, true), published::add, limit);
    }

    @Test
    void answersBecomeFeedbackForTheResponsesShownNewestPromptFirst() throws IOException {
        List<Sample> samples = List.of(
                at(sample("old", 0, 2, "old a"), 1), at(sample("old", 1, 2, "old b"), 1),
                at(sample("new", 0, 2, "new a"), 5), at(sample("new", 1, 2, "new b"), 5),
                at(sample("same", 0, 2, "dup"), 9), at(sample("same", 1, 2, "dup"), 9)); // nothing to compare

        FeedbackSession.Summary summary = run(samples, "2\nt\n", 10);

        assertThat(summary).isEqualTo(new FeedbackSession.Summary(2, 0, 1, 1, 0));
        assertThat(published).hasSize(2);
        HumanFeedback first = published.get(0);
        assertThat(first.getPromptId()).isEqualTo("new-p");
        assertThat(first.getChoice()).isEqualTo(FeedbackChoice.B);
        assertThat(first.getAnnotator()).isEqualTo("alice");
        assertThat(first.getWeight()).isEqualTo(1.5);
        assertThat(first.getCreatedAt()).isEqualTo(CLOCK.instant());
        assertThat(List.of(first.getSampleAId(), first.getSampleBId())).containsExactlyInAnyOrder("new-s0", "new-s1");
        // what was shown as [2] is what B names
        String shown = screen.toString();
        String secondShown = first.getSampleBId().equals("new-s0") ? "new a" : "new b";
        assertThat(shown.indexOf("[2]")).isLessThan(shown.indexOf(secondShown));
        assertThat(shown.indexOf("[1]")).isLessThan(shown.indexOf("[2]"));
        assertThat(published.get(1).getPromptId()).isEqualTo("old-p");
        assertThat(published.get(1).getChoice()).isEqualTo(FeedbackChoice.TIE);
        assertThat(shown).doesNotContain("same-p");
    }

    @Test
    void unclearAnswersAreAskedAgainSkipPublishesNothingAndQuitStops() throws IOException {
        List<Sample> samples = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            samples.add(at(sample("p" + p, 0, 2, "x" + p), p));
            samples.add(at(sample("p" + p, 1, 2, "y" + p), p));
        }
        FeedbackSession.Summary summary = run(samples, "maybe\n1\ns\nq\n", 10);

        assertThat(screen.toString()).contains("Please answer 1, 2, t, s or q.");
        assertThat(summary).isEqualTo(new FeedbackSession.Summary(2, 1, 0, 0, 1));
        assertThat(published).hasSize(1);
        assertThat(published.get(0).getChoice()).isEqualTo(FeedbackChoice.A);
    }

    @Test
    void endOfInputEndsTheSessionAndTheLimitIsKept() throws IOException {
        List<Sample> samples = new ArrayList<>();
        for (int p = 0; p < 5; p++) {
            samples.add(sample("p" + p, 0, 2, "x" + p));
            samples.add(sample("p" + p, 1, 2, "y" + p));
        }
        assertThat(run(samples, "1\n", 10).recorded()).isEqualTo(1);
        published.clear();
        assertThat(run(samples, "1\n1\n1\n1\n", 2)).isEqualTo(new FeedbackSession.Summary(2, 2, 0, 0, 0));
    }
}

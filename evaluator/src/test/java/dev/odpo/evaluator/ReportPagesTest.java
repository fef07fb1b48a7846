package dev.odpo.evaluator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.events.EvalReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportPagesTest {

    @TempDir
    Path dir;

    static EvalReport report(long version, String evalSet, double gold, double kl, Double proxy) {
        EvalFigures f = new EvalFigures(8, gold, gold / 2, gold + 0.1, gold / 2 + 0.1, kl, 0.1, 0.5 + version * 0.05,
                0.5, 7.5, proxy, 0.9, 0.05, 0.0);
        return EvalReport.newBuilder(f.toReport(new EvalFigures.Subject("pi", version, 0L, version * 10, version * 100),
                TinyPolicies.SPEC, Instant.parse("2026-01-01T00:00:00Z"), 1.0)).setEvalSet(evalSet).build();
    }

    @Test
    void writesBothPlotsAndATableRowPerVersion() throws Exception {
        String set = TinyPolicies.SPEC.label();
        ReportPages pages = new ReportPages(dir.resolve("pi"), "pi", set);
        pages.addAll(List.of(report(0, set, 0.25, 0.0, 1.5), report(1, set, 0.31, 2.5, 2.25)));
        pages.write();

        for (String png : List.of(ReportPages.REWARD_PNG, ReportPages.REWARD_KL_PNG)) {
            byte[] bytes = Files.readAllBytes(dir.resolve("pi").resolve(png));
            assertThat(bytes).as(png).startsWith(0x89, 'P', 'N', 'G');
            assertThat(bytes.length).as(png).isGreaterThan(5_000);
        }
        String html = Files.readString(dir.resolve("pi").resolve(ReportPages.INDEX_HTML));
        assertThat(html).contains("<img src=\"reward.png", "<img src=\"reward-kl.png", set);
        assertThat(html.split("<tr>")).hasSize(1 + 1 + 2);   // before the table, the header, two versions
        assertThat(html).contains("<td>0.310</td>", "<td>2.500</td>", "<td>2.250</td>", "<td>100</td>");
        try (var files = Files.list(dir.resolve("pi"))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("no temporary file is left behind")
                    .containsExactlyInAnyOrder(ReportPages.INDEX_HTML, ReportPages.REWARD_PNG, ReportPages.REWARD_KL_PNG);
        }
    }

    @Test
    void showsOnlyItsPolicyAndEvaluationSetAndTheLatestReportOfEachVersion() throws Exception {
        String set = TinyPolicies.SPEC.label();
        ReportPages pages = new ReportPages(dir, "pi", set);
        pages.addAll(List.of(report(0, set, 0.2, 0.0, null), report(1, "other-set", 0.9, 1.0, null),
                report(0, set, 0.4, 0.0, null), EvalReport.newBuilder(report(2, set, 0.3, 1.0, null)).setPolicyName("other").build()));

        assertThat(pages.reports()).extracting(EvalReport::getPolicyVersion).containsExactly(0L);
        assertThat(pages.reports().get(0).getGoldReward()).isEqualTo(0.4);
        pages.write();
        assertThat(Files.readString(dir.resolve(ReportPages.INDEX_HTML))).contains("<td>0.400</td>");
    }

    @Test
    void beforeAnyVersionThePageSaysSo() throws Exception {
        new ReportPages(dir, "pi", "set").write();
        assertThat(Files.readString(dir.resolve(ReportPages.INDEX_HTML))).contains("No version has been evaluated yet");
        assertThat(dir.resolve(ReportPages.REWARD_PNG)).doesNotExist();
    }
}

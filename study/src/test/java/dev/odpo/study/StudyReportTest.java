package dev.odpo.study;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

class StudyReportTest {

    @Test
    void intervalIsTheStudentTIntervalOfTheMean() {
        // mean 2, s = 1, t(2) = 4.303: 4.303 / sqrt(3)
        Interval a = Interval.of(1, 2, 3);
        assertThat(a.mean()).isEqualTo(2.0);
        assertThat(a.halfWidth()).isCloseTo(4.303 / Math.sqrt(3), within(1e-9));
        assertThat(a.n()).isEqualTo(3);
        // mean 0.32, s = 0.02
        Interval b = Interval.of(0.30, 0.32, 0.34);
        assertThat(b.halfWidth()).isCloseTo(4.303 * 0.02 / Math.sqrt(3), within(1e-9));
        // two runs: s = |x1 - x2| / sqrt(2), t(1) = 12.706
        assertThat(Interval.of(1, 3).halfWidth()).isCloseTo(12.706 * Math.sqrt(2) / Math.sqrt(2), within(1e-9));
        assertThat(Interval.of(5).halfWidth()).isNaN();
        assertThat(Interval.of(5).format(2)).isEqualTo("5.00");
        assertThat(b.format(3)).isEqualTo("0.320 ± 0.050");
        assertThat(Interval.of(1, Double.NaN, 3).n()).isEqualTo(2);
        assertThat(Interval.t975(60)).isCloseTo(2.000, within(0.002));   // tabulated 2.000
        assertThat(Interval.of(1, 2, 3).separatedFrom(Interval.of(10, 11, 12))).isTrue();
        assertThat(Interval.of(1, 2, 3).separatedFrom(Interval.of(2, 3, 4))).isFalse();
    }

    @Test
    void tableHasOneRowPerArmWithIntervalsAndPairedDifferences() {
        List<RunResult> runs = new ArrayList<>();
        runs.add(run("pi0", 1, 0.20, 0.0));
        runs.add(run("online", 1, 0.30, 1.0));
        runs.add(run("online", 2, 0.32, 1.0));
        runs.add(run("online", 3, 0.34, 1.0));
        runs.add(run("offline", 1, 0.25, 2.0));
        runs.add(run("offline", 2, 0.26, 2.0));
        runs.add(run("online", 3, 0.99, 9.0));   // recorded twice: the first counts
        String md = StudyReport.markdown(StudyReport.byArm(runs, List.of("pi0", "online", "offline")), 0.1);

        assertThat(md).contains("| online | 3 | 0.320 ± 0.050 |");
        assertThat(md).contains("| offline | 2 | 0.255 ± 0.064 |");   // 12.706 * 0.005
        // offline − online on seeds 1 and 2: −0.05 and −0.06
        assertThat(md).contains("| offline | 2 | -0.055 ± 0.064 |");
        assertThat(md).contains("pi0 (seeds [2, 3])").contains("offline (seeds [3])");
        assertThat(md.indexOf("| pi0 |")).isLessThan(md.indexOf("| online |"));
        assertThat(md.indexOf("| online |")).isLessThan(md.indexOf("| offline | 2 | 0.255"));
    }

    @Test
    void writesWellFormedSvgPlotsNextToTheTable(@TempDir Path dir) throws Exception {
        List<RunResult> runs = List.of(run("pi0", 1, 0.2, 0), run("online", 1, 0.3, 1.5), run("online", 2, 0.31, 1.7),
                run("ipo", 1, 0.25, 0.4));
        Path md = StudyReport.write(dir, runs, List.of("pi0", "online", "ipo"), 0.1);

        assertThat(md).exists();
        Document points = parse(dir.resolve(StudyReport.POINTS_SVG));
        assertThat(points.getDocumentElement().getTagName()).isEqualTo("svg");
        assertThat(points.getElementsByTagName("circle").getLength()).isEqualTo(3);   // one per arm
        Document paths = parse(dir.resolve(StudyReport.TRAJECTORIES_SVG));
        assertThat(paths.getElementsByTagName("polyline").getLength()).isEqualTo(3);  // one per training run
        Document paired = parse(dir.resolve(StudyReport.PAIRED_SVG));
        assertThat(paired.getElementsByTagName("circle").getLength()).isEqualTo(2);   // pi0 and ipo against online
        assertThat(Files.readString(md)).contains(StudyReport.POINTS_SVG, StudyReport.TRAJECTORIES_SVG,
                StudyReport.PAIRED_SVG);
    }

    @Test
    void resultsFileSkipsATornLineAndKnowsWhichRunsAreDone(@TempDir Path dir) throws Exception {
        StudyResults results = new StudyResults(dir);
        results.append(run("online", 1, 0.3, 1));
        Files.writeString(results.file(), "{\"arm\":\"online\",\"se", java.nio.file.StandardOpenOption.APPEND);
        results.append(run("online", 2, 0.4, 1));

        assertThat(results.read()).extracting(RunResult::seed).containsExactly(1L, 2L);
        assertThat(results.has("online", 2)).isTrue();
        assertThat(results.has("online", 3)).isFalse();
        assertThat(results.read().get(1)).isEqualTo(run("online", 2, 0.4, 1));
    }

    private static Document parse(Path svg) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(Files.readString(svg).getBytes(StandardCharsets.UTF_8)));
    }

    static RunResult run(String arm, long seed, double gold, double kl) {
        RunResult.Point mid = new RunResult.Point(128, gold / 2, 0.1, 0.2, kl / 2, gold / 2 - 0.1 * kl / 2, 12, 1.0);
        RunResult.Point end = new RunResult.Point(256, gold, 0.2, 0.4, kl, gold - 0.1 * kl, 10, 1.5);
        return new RunResult(arm, seed, arm.equals("pi0") ? 0 : 256, 16, 300, 2400, 100,
                arm.equals("pi0") ? List.of(end) : List.of(mid, end));
    }
}

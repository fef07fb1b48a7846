package dev.odpo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.study.StudyReport;
import dev.odpo.study.StudyResults;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyCommandTest {

    private static final String RUN = "{\"arm\":\"%s\",\"seed\":%d,\"pairs\":256,\"steps\":16,\"prompts\":300,"
            + "\"samples\":2400,\"seconds\":100,\"trajectory\":[{\"pairs\":256,\"goldReward\":%s,\"accuracy\":0.2,"
            + "\"greedyAccuracy\":0.5,\"kl\":1.5,\"objective\":0.2,\"length\":10,\"proxyReward\":1.5}]}\n";

    @Test
    void reportOnlyWritesTheTableAndPlotsFromTheRecordedRuns(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(StudyResults.FILE), String.format(RUN, "online", 1, "0.30")
                + String.format(RUN, "online", 2, "0.34") + String.format(RUN, "offline", 1, "0.25"));

        CliRoundTripTest.Result r = CliRoundTripTest.odpo("study", "--out", dir.toString(), "--report-only");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.readString(dir.resolve(StudyReport.MARKDOWN))).contains("| online | 2 |", "| offline | 1 |");
        assertThat(dir.resolve(StudyReport.POINTS_SVG)).exists();
        assertThat(dir.resolve(StudyReport.TRAJECTORIES_SVG)).exists();
    }

    @Test
    void anUnknownArmIsRefusedWithTheArmsThatExist(@TempDir Path dir) {
        CliRoundTripTest.Result r = CliRoundTripTest.odpo("study", "--out", dir.toString(), "--arms", "online,nope");

        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("nope", "offline", "pilaf");
        assertThat(dir.resolve(StudyResults.FILE)).doesNotExist();
    }
}

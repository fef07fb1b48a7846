package dev.odpo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CommandLineHelpTest {

    @Test
    void everyCommandHasHelp() {
        for (String[] cmd : new String[][] {{"--help"}, {"broker", "--help"}, {"run", "--help"}, {"topics", "--help"},
                {"topics", "create", "--help"}, {"topics", "describe", "--help"}, {"prompts", "--help"}, {"tail", "--help"}}) {
            CliRoundTripTest.Result r = CliRoundTripTest.odpo(cmd);
            assertThat(r.code()).as(String.join(" ", cmd)).isZero();
            assertThat(r.out()).as(String.join(" ", cmd)).contains("Usage: odpo");
        }
        assertThat(CliRoundTripTest.odpo("--help").out()).contains("broker", "run", "topics", "prompts", "tail");
    }

    @Test
    void runListsAServicesSettings() {
        CliRoundTripTest.Result r = CliRoundTripTest.odpo("run", "generator", "--settings");
        assertThat(r.code()).isZero();
    }

    @Test
    void runRefusesAnUnknownService() {
        CliRoundTripTest.Result r = CliRoundTripTest.odpo("run", "teleporter");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown service 'teleporter'", "generator", "pair-builder");
    }

    @Test
    void aBadSettingIsReportedByName() {
        CliRoundTripTest.Result r = CliRoundTripTest.odpo("topics", "describe", "--bootstrap-servers", "no-port-here");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("'bootstrap.servers'", "'no-port-here'", "host:port");
    }
}

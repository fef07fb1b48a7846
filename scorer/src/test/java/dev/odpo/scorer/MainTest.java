package dev.odpo.scorer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MainTest {

    @Test
    void helpNamesEveryScorerSettingAndTheRescoringFlag() {
        String help = Main.LAUNCHER.help();

        for (String setting : new String[] {"scorer.name", "scorer.components", "scorer.reward-model.dir",
                "scorer.reward-model.weight", "scorer.reward-model.device", "scorer.reward-model.batch.size", "scorer.verifier.weight",
                "scorer.length-penalty.weight", "scorer.length-penalty.lambda", "scorer.length-penalty.unit",
                "scorer.group.id", "scorer.id", "scorer.batch.size", "scorer.from.beginning", "scorer.max.chars"}) {
            assertThat(help).contains(setting);
        }
        assertThat(help).contains("--from-beginning");
    }

    @Test
    void theRescoringFlagIsAnArgumentTheLauncherAccepts() {
        assertThat(Main.run(new String[] {"--from-beginning", "--help"})).isZero();
        assertThat(Main.run(new String[] {"--from-the-start"})).isEqualTo(2);
    }
}

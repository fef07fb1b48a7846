package dev.odpo.broker;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.common.utils.Exit;
import org.junit.jupiter.api.Test;

class ExitGuardTest {

    @Test
    void whileABrokerRunsKafkasExitAndHaltThrowInsteadOfEndingTheJvm() {
        ExitGuard.acquire();
        ExitGuard.acquire(); // a second broker
        try {
            ExitGuard.release(); // one broker stopped: still guarded
            // Without the guard these calls would end the test JVM and the build would fail.
            assertThatThrownBy(() -> Exit.exit(1, "fatal broker fault")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("exit(1)").hasMessageContaining("fatal broker fault");
            assertThatThrownBy(() -> Exit.halt(2, "disk gone")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("halt(2)");
        } finally {
            ExitGuard.release();
        }
    }
}

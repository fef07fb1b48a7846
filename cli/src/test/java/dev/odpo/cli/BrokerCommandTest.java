package dev.odpo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.config.KafkaSettings;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BrokerCommandTest {

    @TempDir
    Path dataDir;

    @Test
    void theBrokerCreatesTheTopicsAndARestartKeepsThem() {
        BrokerCommand command = new BrokerCommand();
        new CommandLine(command).parseArgs("--port", "0", "--registry-port", "0", "--data-dir", dataDir.toString(),
                "--partitions", "2");

        String registryUrl;
        try (BrokerCommand.Running first = command.start()) {
            registryUrl = first.registry().url();
            KafkaSettings settings = KafkaSettings.local(first.kafka().bootstrapServers(), registryUrl).withPartitions(2);
            try (TopicAdmin admin = TopicAdmin.create(settings)) {
                assertThat(admin.describe(settings.topics().all()))
                        .allMatch(TopicAdmin.TopicState::exists).allMatch(TopicAdmin.TopicState::partitionsMatch);
            }
        }
        // A restart on the same data directory finds every topic already there.
        try (BrokerCommand.Running second = command.start()) {
            KafkaSettings settings = KafkaSettings.local(second.kafka().bootstrapServers(), second.registry().url())
                    .withPartitions(2);
            try (TopicAdmin admin = TopicAdmin.create(settings)) {
                assertThat(admin.createMissing(settings.topics().all()).values()).containsOnly(TopicAdmin.Outcome.EXISTED);
            }
            assertThat(second.kafka().dataDir()).startsWith(dataDir);
        }
    }
}

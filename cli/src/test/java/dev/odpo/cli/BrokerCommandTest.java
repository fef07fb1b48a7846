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

    @Test
    void brokerAndRegistryListenOnLoopbackOnlyUnlessToldOtherwise() throws Exception {
        java.net.InetAddress external = java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(i -> java.util.Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof java.net.Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                .findFirst().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(external != null, "this machine has no address but loopback");
        BrokerCommand command = new BrokerCommand();
        new CommandLine(command).parseArgs("--port", "0", "--registry-port", "0", "--data-dir", dataDir.toString());

        try (BrokerCommand.Running running = command.start()) {
            int kafkaPort = Integer.parseInt(running.kafka().bootstrapServers().replaceAll(".*:", ""));
            int registryPort = java.net.URI.create(running.registry().url()).getPort();
            for (int port : new int[] {kafkaPort, registryPort}) {
                assertThat(reachable(java.net.InetAddress.getLoopbackAddress(), port)).as("127.0.0.1:" + port).isTrue();
                assertThat(reachable(external, port)).as(external.getHostAddress() + ":" + port).isFalse();
            }
        }
    }

    @Test
    void withScramUsersOnlyAuthenticatedClientsGetIn() throws Exception {
        Path users = java.nio.file.Files.writeString(dataDir.resolve("users.properties"), "alice=alice-pw\nbob=bob-pw\n");
        BrokerCommand command = new BrokerCommand();
        new CommandLine(command).parseArgs("--port", "0", "--registry-port", "0", "--data-dir", dataDir.toString(),
                "--scram-users", users.toString());

        try (BrokerCommand.Running running = command.start()) {
            assertThat(running.kafka().secured()).isTrue();
            for (String password : new String[] {"bob-pw", "wrong"}) {
                KafkaSettings settings = new KafkaSettings(running.kafka().bootstrapServers(), running.registry().url(),
                        "odpo.", 3, (short) 1, false, java.util.Map.of("security.protocol", "SASL_PLAINTEXT",
                        "sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config",
                        dev.odpo.broker.EmbeddedKafka.scramJaasConfig("bob", password)), java.util.Map.of());
                try (TopicAdmin admin = TopicAdmin.create(settings)) {
                    if (password.equals("bob-pw")) {
                        assertThat(admin.describe(settings.topics().all())).allMatch(TopicAdmin.TopicState::exists);
                    } else {
                        org.assertj.core.api.Assertions.assertThatThrownBy(() -> admin.describe(settings.topics().all()))
                                .hasRootCauseInstanceOf(org.apache.kafka.common.errors.SaslAuthenticationException.class);
                    }
                }
            }
        }
    }

    @Test
    void aScramUsersFileWithoutUsersIsRefused() throws Exception {
        Path empty = java.nio.file.Files.writeString(dataDir.resolve("none.properties"), "# nobody\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> BrokerCommand.readUsers(empty))
                .hasMessageContaining("names no user");
    }

    private static boolean reachable(java.net.InetAddress address, int port) {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress(address, port), 2000);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}

package dev.odpo.learner;

import static dev.odpo.learner.LearnerFixture.POLICY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.broker.EmbeddedKafka;
import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.kafka.config.ConfigValues;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A learner started while its broker is restarting waits for the broker rather than stopping: its start-up
 * calls to Kafka (fencing, reading the announcements, looking up the pairs topic) time out and are made again,
 * and once the broker is back it resumes and announces what it trained.
 */
class LearnerBrokerOutageTest {

    @TempDir
    Path tmp;

    @Test
    void aLearnerStartedWhileTheBrokerIsDownGoesOnOnceTheBrokerIsBack() throws Exception {
        int[] ports = EmbeddedKafka.freeLoopbackPorts(2);
        int port = ports[0];
        int controllerPort = ports[1];
        EmbeddedKafka.Builder broker = EmbeddedKafka.builder().port(port).controllerPort(controllerPort)
                .dataDir(tmp.resolve("kafka"));
        String bootstrap = "127.0.0.1:" + port;
        String registry = "mock://learner-broker-outage";

        // Given pi0 announced as v0 and 16 pairs on the topic, then the broker stopped
        Path config;
        try (EmbeddedKafka kafka = broker.build()) {
            kafka.start();
            try (LearnerFixture f = new LearnerFixture(bootstrap, registry, "o.", tmp)) {
                f.publishPi0(POLICY, 3, false);
                f.send(LearnerFixture.pairs(0, 16, 0));
                // every Kafka call gives up after 2 s, so the outage is met at every start-up step
                config = f.writeProperties(Map.of("kafka.max.block.ms", "2000", "kafka.default.api.timeout.ms", "2000",
                        "learner.snapshot.interval", "0s"));
            }
        }

        // When a learner starts while the broker is down
        List<CheckpointAnnouncement> announced = new CopyOnWriteArrayList<>();
        Learner learner = Learner.create(LearnerConfig.from(ConfigValues.load(LearnerConfig.SETTINGS, Map.of(), config)),
                new LearnerListener() {
                    @Override
                    public void announced(CheckpointAnnouncement a) {
                        announced.add(a);
                    }
                });
        Thread thread = new Thread(learner::run, "learner");
        thread.setDaemon(true);
        thread.start();
        Thread.sleep(6_000);
        assertThat(thread.isAlive()).as("the learner waits for the broker").isTrue();

        // Then once the broker is back on its data, the learner trains the pairs and announces them
        try (EmbeddedKafka kafka = broker.build()) {
            kafka.start();
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (announced.stream().mapToLong(CheckpointAnnouncement::getPairsTrained).max().orElse(0) < 16
                    && thread.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(announced).as("announced after the outage").isNotEmpty();
            assertThat(announced.get(announced.size() - 1).getPairsTrained()).isEqualTo(16);
            learner.stop();
            learner.awaitStopped(Duration.ofSeconds(60));
        }
    }
}

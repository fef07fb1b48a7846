package dev.odpo.evaluator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.DeadLetter;
import dev.odpo.events.EvalReport;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.LocalCheckpointStore;
import dev.odpo.policy.Policy;
import dev.odpo.policy.Snapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluator service on a real broker: tiny random policies published to a checkpoint store and announced;
 * one report per version, a bad snapshot dead-lettered, the report pages written, a restart that goes on.
 */
class EvaluatorServiceTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String POLICY = "pi";
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    @TempDir
    Path tmp;

    private KafkaSettings kafka;
    private Topics topics;
    private LocalCheckpointStore store;
    private KafkaProducer<byte[], byte[]> producer;
    private final List<Evaluator> running = new ArrayList<>();

    @BeforeEach
    void brokerTopicsAndStore() throws Exception {
        int n = PREFIXES.incrementAndGet();
        kafka = KafkaSettings.local(KAFKA.bootstrapServers(), "mock://evaluator-test-" + n).withTopicPrefix("e" + n + ".");
        topics = kafka.topics();
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            admin.createMissing(topics.all());
        }
        store = new LocalCheckpointStore(tmp.resolve("checkpoints"));
        producer = new KafkaProducer<>(kafka.rawProducer("test"));
    }

    @AfterEach
    void stop() throws Exception {
        for (Evaluator e : running) {
            e.stop();
            e.awaitStopped(Duration.ofSeconds(30));
        }
        producer.close();
    }

    private EvaluatorConfig config() {
        return new EvaluatorConfig(kafka, "odpo-evaluator", POLICY, TinyPolicies.SPEC, "cpu", store.root(),
                tmp.resolve("reports").resolve(POLICY), null);
    }

    private Evaluator start() {
        Evaluator e = Evaluator.create(config());
        running.add(e);
        Thread t = new Thread(e::run, "evaluator");
        t.setDaemon(true);
        t.start();
        return e;
    }

    private Snapshot announce(long version, Long reference, long seed) throws Exception {
        Snapshot s = TinyPolicies.publish(store, POLICY, version, reference, seed);
        Announcements.announce(producer, topics.checkpoints(), Announcements.of(s, null, "test"));
        return s;
    }

    @Test
    void evaluatesEveryAnnouncedVersionOnceRefusesABadSnapshotAndWritesTheReport() throws Exception {
        // Given π0, a successor trained against it, a tampered snapshot and one trained against the previous iterate
        Snapshot v0 = announce(0, null, 11);
        announce(1, 0L, 12);
        Snapshot v2 = TinyPolicies.publish(store, POLICY, 2, 0L, 13);
        Files.writeString(v2.dir().resolve("config.json"), "{}");
        Announcements.announce(producer, topics.checkpoints(), Announcements.of(v2, null, "test"));
        announce(3, 1L, 14);
        // another policy's announcement is none of this evaluator's business
        TinyPolicies.publish(store, "other", 0, null, 15);
        Announcements.announce(producer, topics.checkpoints(),
                Announcements.of(store.open(store.uriOf("other", 0), null), null, "test"));

        // When the evaluator runs
        start();

        // Then one report per good version, in order
        List<EvalReport> reports = read(topics.evaluations(), 3);
        assertThat(reports).extracting(EvalReport::getPolicyVersion).containsExactly(0L, 1L, 3L);
        assertThat(reports).extracting(EvalReport::getPolicyName).containsOnly(POLICY);
        assertThat(reports).extracting(EvalReport::getReferenceVersion).containsExactly(0L, 0L, 1L);
        assertThat(reports).extracting(EvalReport::getEvalSet).containsOnly(TinyPolicies.SPEC.label());

        EvalReport pi0 = reports.get(0);
        assertThat(pi0.getKlToReference()).as("KL of v0 against itself").isZero();
        assertThat(pi0.getObjective()).isEqualTo(pi0.getGoldReward());
        assertThat(pi0.getMetrics()).containsEntry(EvalFigures.WIN_RATE, 0.5).containsEntry(EvalFigures.GREEDY_WIN_RATE, 0.5);
        assertThat(pi0.getProxyReward()).isNull();
        for (EvalReport r : reports) {
            assertThat(r.getNumPrompts()).isEqualTo(8);
            assertThat(r.getGoldReward()).isBetween(0.0, 1.0);
            assertThat(r.getAccuracy()).isBetween(0.0, 1.0);
            assertThat(r.getMeanResponseTokens()).isBetween(0.0, 12.0);
            assertThat(r.getMetrics().get(EvalFigures.WIN_RATE)).isBetween(0.0, 1.0);
            assertThat(r.getObjective()).isEqualTo(r.getGoldReward() - r.getBeta() * r.getKlToReference());
        }
        assertThat(reports.get(1).getKlToReference()).as("a different policy than its reference").isGreaterThan(0.5);
        assertThat(reports.get(2).getKlToReference()).isGreaterThan(0.5);
        assertThat(reports.get(2).getMetrics()).containsEntry(EvalFigures.STEP, 30.0).containsEntry(EvalFigures.PAIRS_TRAINED, 300.0);

        // the same figures as measuring v0's directory directly, without Kafka
        HeldOutEvaluation direct = new HeldOutEvaluation(TinyPolicies.SPEC, null);
        try (Policy p = TinyPolicies.load(v0.dir())) {
            Rollouts own = direct.rollouts(p);
            EvalReport expected = direct.measure(p, own, p, own).toReport(EvalFigures.Subject.of(v0.manifest(), 0L),
                    TinyPolicies.SPEC, pi0.getCreatedAt(), pi0.getMetrics().get(EvalFigures.EVAL_SECONDS));
            assertThat(pi0).isEqualTo(expected);
        }

        // the tampered snapshot went to the dead letters, naming the bad file
        List<DeadLetter> dead = read(topics.deadLetters(), 1);
        assertThat(dead.get(0).getErrorClass()).isEqualTo("SnapshotRefused");
        assertThat(dead.get(0).getReason()).contains("config.json");

        // and the report shows the three versions
        Path dir = tmp.resolve("reports").resolve(POLICY);
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve(ReportPages.REWARD_KL_PNG)));
        String html = Files.readString(dir.resolve(ReportPages.INDEX_HTML));
        assertThat(html.split("<tr>")).hasSize(1 + 1 + 3);
        assertThat(dir.resolve(ReportPages.REWARD_PNG)).isNotEmptyFile();
    }

    @Test
    void aRestartedEvaluatorGoesOnWithTheNextVersionAndItsReportKeepsTheEarlierOnes() throws Exception {
        announce(0, null, 21);
        Evaluator first = start();
        assertThat(read(topics.evaluations(), 1)).extracting(EvalReport::getPolicyVersion).containsExactly(0L);
        first.stop();
        assertThat(first.awaitStopped(Duration.ofSeconds(30))).isTrue();

        announce(1, null, 22);
        start();

        List<EvalReport> reports = read(topics.evaluations(), 2);
        assertThat(reports).extracting(EvalReport::getPolicyVersion).containsExactly(0L, 1L);
        assertThat(reports.get(1).getReferenceVersion()).as("no reference named: pi0").isZero();
        assertThat(reports.get(1).getMetrics()).as("pi0's responses decoded again from the store")
                .containsKey(EvalFigures.WIN_RATE);
        Path html = tmp.resolve("reports").resolve(POLICY).resolve(ReportPages.INDEX_HTML);
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(html));
        assertThat(Files.readString(html).split("<tr>")).hasSize(1 + 1 + 2);
    }

    /** Waits for at least {@code n} records, then reads a little longer to catch extra ones. */
    private <V extends SpecificRecord> List<V> read(Topic<String, V> topic, int n) {
        List<V> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.rawConsumer("reader-" + System.nanoTime(), "reader"))) {
            c.subscribe(List.of(topic.name()));
            await().atMost(Duration.ofSeconds(120)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(topic.valueSerde().deserializer().deserialize(r.topic(), r.value()));
                }
                return out.size() >= n;
            });
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofSeconds(1))) {
                out.add(topic.valueSerde().deserializer().deserialize(r.topic(), r.value()));
            }
        }
        return out;
    }
}

package dev.odpo.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.evaluator.EvalFigures;
import dev.odpo.evaluator.EvaluationSpec;
import dev.odpo.evaluator.Evaluator;
import dev.odpo.evaluator.EvaluatorConfig;
import dev.odpo.events.EvalReport;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.model.LlamaConfig;
import dev.odpo.model.LlamaModel;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.CheckpointStore;
import dev.odpo.policy.LocalCheckpointStore;
import dev.odpo.policy.Snapshot;
import dev.odpo.task.TaskTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** `odpo evaluate` on tiny checkpoints: the evaluator service's figures, for any directory, without Kafka. */
class EvaluateCommandTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    /** A quick measurement; the command gets it through its options. */
    static final EvaluationSpec SPEC = new EvaluationSpec(6, 3, 1.0, 10, 4, 0.1);
    static final String[] SPEC_OPTIONS = {"--prompts", "6", "--seed", "3", "--temperature", "1.0",
            "--max-new-tokens", "10", "--batch-size", "4", "--beta", "0.1"};

    @TempDir
    static Path tmp;
    static LocalCheckpointStore store;
    static Snapshot v0;
    static Path other;

    @BeforeAll
    static void checkpoints() throws Exception {
        store = new LocalCheckpointStore(tmp.resolve("checkpoints"));
        v0 = store.publish(new CheckpointStore.Request("pi", 0, null, null, 0, 0, dir -> write(dir, 7)));
        other = write(tmp.resolve("other"), 8);
    }

    static Path write(Path dir, long seed) throws java.io.IOException {
        LlamaConfig config = LlamaConfig.tiny(TaskTokenizer.vocabSize(), 32, 1, 2, 1)
                .withSpecialTokens(TaskTokenizer.BOS_ID, List.of(TaskTokenizer.EOS_ID), TaskTokenizer.PAD_ID);
        try (LlamaModel m = LlamaModel.random(config, Device.cpu(), seed)) {
            m.save(dir);
        }
        TaskTokenizer.write(dir);
        return dir;
    }

    static String[] evaluate(String... args) {
        List<String> all = new ArrayList<>(List.of("evaluate"));
        all.addAll(List.of(args));
        all.addAll(List.of(SPEC_OPTIONS));
        return all.toArray(String[]::new);
    }

    static JsonNode json(CliRoundTripTest.Result r) throws Exception {
        assertThat(r.code()).as(r.err()).isZero();
        return EventJson.MAPPER.readTree(r.out());
    }

    /** The report without what differs between two runs of the same measurement: when, and how long it took. */
    static JsonNode figures(JsonNode report) {
        ObjectNode copy = report.deepCopy();
        copy.remove("created_at");
        ((ObjectNode) copy.get("metrics")).remove(EvalFigures.EVAL_SECONDS);
        return copy;
    }

    @Test
    void givesTheSameFiguresAsTheEvaluatorServicesReportForVersionZero() throws Exception {
        // Given the evaluator service has evaluated v0 on the broker
        KafkaSettings kafka = KafkaSettings.local(KAFKA.bootstrapServers(), "mock://evaluate-command");
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            admin.createMissing(kafka.topics().all());
        }
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.rawProducer("test"))) {
            Announcements.announce(producer, kafka.topics().checkpoints(), Announcements.of(v0, null, "test"));
        }
        Evaluator service = Evaluator.create(new EvaluatorConfig(kafka, "odpo-evaluator", "pi", SPEC, "cpu",
                store.root(), tmp.resolve("reports/pi"), null));
        Thread t = new Thread(service::run, "evaluator");
        t.start();
        EvalReport published;
        try {
            published = firstReport(kafka);
        } finally {
            service.stop();
            service.awaitStopped(Duration.ofSeconds(30));
        }

        // When a user evaluates the same snapshot directory with the same settings
        JsonNode cli = json(CliRoundTripTest.odpo(evaluate("--model", v0.dir().toString(), "--json")));

        // Then every figure is the same (as printed JSON, whatever the order of the fields)
        JsonNode report = EventJson.MAPPER.readTree(EventJson.MAPPER.writeValueAsString(EventJson.toJson(published)));
        assertThat((Object) figures(cli)).isEqualTo(figures(report));
        assertThat(cli.get("policy_version").asLong()).isZero();
        assertThat(cli.get("kl_to_reference").asDouble()).isZero();
        assertThat(cli.get("metrics").get(EvalFigures.WIN_RATE).asDouble()).isEqualTo(0.5);
    }

    @Test
    void aModelAgainstAnotherReferenceHasAKlAndAWinRateAgainstIt() throws Exception {
        JsonNode r = json(CliRoundTripTest.odpo(evaluate("--model", other.toString(), "--reference", v0.dir().toString(),
                "--json")));

        assertThat(r.get("policy_name").asText()).isEqualTo("other");
        assertThat(r.get("policy_version").asLong()).as("never published").isEqualTo(-1);
        assertThat(r.get("reference_version").asLong()).isZero();
        assertThat(r.get("kl_to_reference").asDouble()).isNotZero();
        assertThat(r.get("objective").asDouble())
                .isEqualTo(r.get("gold_reward").asDouble() - 0.1 * r.get("kl_to_reference").asDouble());
        assertThat(r.get("metrics").get(EvalFigures.WIN_RATE).asDouble()).isBetween(0.0, 1.0);
        assertThat(r.get("num_prompts").asInt()).isEqualTo(6);
    }

    @Test
    void printsATableForAPerson() {
        CliRoundTripTest.Result r = CliRoundTripTest.odpo(evaluate("--model", other.toString()));

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("gold reward", "gold accuracy", "KL(pi || pi_ref)", "J = gold - beta * KL",
                "win rate vs reference", "mean response tokens", "evaluated in");
    }

    @Test
    void helpShowsTheEvaluatorsDefaults() {
        String help = CliRoundTripTest.odpo("evaluate", "--help").out();
        assertThat(help).contains("Usage: odpo evaluate",
                "(default: " + EvaluatorConfig.PROMPTS.defaultValue() + ")",
                "(default: " + EvaluatorConfig.BETA.defaultValue() + ")");
    }

    @Test
    void badOptionsAndDirectoriesFailWithAClearMessage() throws Exception {
        CliRoundTripTest.Result badTemperature = CliRoundTripTest.odpo("evaluate", "--model", other.toString(),
                "--temperature", "0");
        assertThat(badTemperature.code()).isEqualTo(2);
        assertThat(badTemperature.err()).contains("temperature");

        Path empty = Files.createDirectories(tmp.resolve("not-a-model"));
        CliRoundTripTest.Result notAModel = CliRoundTripTest.odpo("evaluate", "--model", empty.toString());
        assertThat(notAModel.code()).isNotZero();
        assertThat(notAModel.err()).contains("config.json");
    }

    private static EvalReport firstReport(KafkaSettings kafka) {
        List<EvalReport> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.rawConsumer("reader", "reader"))) {
            c.subscribe(List.of(kafka.topics().evaluations().name()));
            await().atMost(Duration.ofSeconds(120)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(kafka.topics().evaluations().valueSerde().deserializer().deserialize(r.topic(), r.value()));
                }
                return !out.isEmpty();
            });
        }
        return out.get(0);
    }
}

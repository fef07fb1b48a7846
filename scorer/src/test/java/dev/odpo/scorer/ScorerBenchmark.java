package dev.odpo.scorer;

import ai.djl.Device;
import dev.odpo.broker.EmbeddedKafka;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.model.RewardModel;
import dev.odpo.registry.server.SchemaRegistryServer;
import dev.odpo.task.Split;
import dev.odpo.task.TaskPrompt;
import dev.odpo.task.TaskSuite;
import dev.odpo.task.TaskTokenizer;
import dev.odpo.task.WarmStart;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Throughput of the scorer service, not run by the test suite: an embedded broker and schema registry in
 * this JVM, a backlog of SAMPLES task samples (groups of 8, responses shaped like π0's: concise, stated,
 * padded, wrong, refusals) written first, then one scorer started, and the time until every Score is
 * committed (read with read_committed). The time spent judging is reported beside the wall time; the rest
 * is Kafka's (poll, decode, transactions) and the reader's.
 *
 * <pre>
 *   java -cp scorer/target/test-classes:scorer/target/classes:$(test classpath) \
 *        dev.odpo.scorer.ScorerBenchmark SAMPLES rm|verifier [BATCH [PASS]]
 * </pre>
 *
 * {@code rm}: a reward model with the task's proxy reward model's shape (π0's backbone, random weights —
 * the cost of a forward pass does not depend on them) plus a length penalty; {@code verifier}: the gold
 * reward alone.
 */
public final class ScorerBenchmark {

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        String mode = args.length > 1 ? args[1] : "verifier";
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int pass = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        Path dir = Files.createTempDirectory("odpo-scorer-bench-");
        Map<String, String> env = new HashMap<>();
        env.put("ODPO_SCORER_BATCH_SIZE", Integer.toString(batch));
        env.put("ODPO_SCORER_REWARD_MODEL_BATCH_SIZE", Integer.toString(pass));
        if (mode.equals("rm")) {
            Path rm = dir.resolve("rm");
            try (RewardModel model = RewardModel.random(WarmStart.Spec.standard().modelConfig(), Device.cpu(), 1)) {
                model.save(rm);
            }
            TaskTokenizer.write(rm);
            env.put("ODPO_SCORER_COMPONENTS", "reward-model,length-penalty");
            env.put("ODPO_SCORER_REWARD_MODEL_DIR", rm.toString());
            env.put("ODPO_SCORER_LENGTH_PENALTY_LAMBDA", "0.001");
        } else {
            env.put("ODPO_SCORER_COMPONENTS", "verifier");
        }
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(0).controllerPort(0).dataDir(dir.resolve("kafka")).build()) {
            kafka.start();
            try (SchemaRegistryServer registry = SchemaRegistryServer.start(new SchemaRegistryServer.Config(
                    "127.0.0.1", 0, kafka.bootstrapServers(), "_schemas", "BACKWARD"))) {
                run(kafka.bootstrapServers(), registry.url(), env, n, mode + (mode.equals("rm") ? " (passes of " + pass + ")" : ""),
                        batch);
            }
        }
    }

    private static void run(String bootstrap, String registryUrl, Map<String, String> env, int n, String mode, int batch)
            throws Exception {
        KafkaSettings settings = KafkaSettings.local(bootstrap, registryUrl).withPartitions(3);
        Topics topics = settings.topics();
        try (TopicAdmin admin = TopicAdmin.create(settings)) {
            admin.createMissing(topics.all());
        }
        List<Sample> samples = samples(n);
        long chars = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings.rawProducer("bench"))) {
            for (Sample s : samples) {
                chars += s.getPromptText().length() + s.getResponseText().length();
                producer.send(new ProducerRecord<>(topics.samples().name(),
                        topics.samples().keySerde().serializer().serialize(topics.samples().name(), s.getPromptId()),
                        topics.samples().valueSerde().serializer().serialize(topics.samples().name(), s)));
            }
        }
        Map<String, String> all = new HashMap<>(env);
        all.put("ODPO_BOOTSTRAP_SERVERS", bootstrap);
        all.put("ODPO_SCHEMA_REGISTRY_URL", registryUrl);
        Scorer scorer = Scorer.create(ScorerConfig.from(ConfigValues.load(ScorerConfig.SETTINGS, all, null)));
        Thread running = new Thread(scorer, "scorer");
        long start = System.nanoTime();
        running.start();
        long first = 0;
        long judgingAtFirst = 0;
        int seen = 0;
        int total = 0;
        Properties p = settings.common("bench-reader");
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-reader");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, Score> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                topics.scores().valueSerde().deserializer())) {
            consumer.subscribe(List.of(topics.scores().name()));
            long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
            while (total < n && System.nanoTime() < deadline) {
                int got = consumer.poll(Duration.ofMillis(100)).count();
                total += got;
                if (got > 0 && first == 0) {
                    // the first Scores mark the start (model loaded, group joined): count what follows them
                    first = System.nanoTime();
                    judgingAtFirst = scorer.judgingNanos();
                } else {
                    seen += got;
                }
            }
        }
        long end = System.nanoTime();
        long judging = scorer.judgingNanos() - judgingAtFirst;
        scorer.stop();
        scorer.awaitStopped(Duration.ofSeconds(30));
        double wall = (end - first) / 1e9;
        System.out.printf("scorer %s, batch %d, 3 partitions, %d samples (mean %.0f characters of prompt + response): "
                        + "first Score after %.2f s; then %d Scores in %.2f s: %.0f samples/s; judging %.2f s "
                        + "(%.0f%% of the wall time), Kafka and the rest %.0f%%%n",
                mode, batch, n, (double) chars / n, (first - start) / 1e9, seen, wall, seen / wall, judging / 1e9,
                100.0 * judging / 1e9 / wall, 100 - 100.0 * judging / 1e9 / wall);
    }

    /** Groups of 8 responses per task prompt, in the shapes and lengths π0 answers with at temperature 1. */
    private static List<Sample> samples(int n) {
        List<TaskPrompt> prompts = TaskSuite.standard().prompts(Split.RL, (n + 7) / 8, 3);
        Random rnd = new Random(3);
        List<Sample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            TaskPrompt p = prompts.get(i / 8);
            String answer = p.answer();
            String response = switch (rnd.nextInt(6)) {
                case 0 -> answer;
                case 1 -> "The answer is " + answer + ".";
                case 2 -> "Let me think step by step. I look at the question carefully. The answer is " + answer + ".";
                case 3 -> "The answer is " + (answer.length() > 1 ? answer.substring(1) : "7") + ".";
                case 4 -> "I am sorry, but as an AI model I cannot answer that.";
                default -> answer + " " + answer;
            };
            out.add(Sample.newBuilder().setSampleId("s" + i).setPromptId(p.id()).setGroupId("g" + i / 8)
                    .setCreatedAt(Instant.now()).setPromptText(p.text()).setResponseText(response).setGroupSize(8)
                    .setIndexInGroup(i % 8).setPolicyName("pi0").setPolicyVersion(0).setLogprob(-3.0)
                    .setFinishReason("eos").setTask(p.kind().family()).setReferenceAnswer(answer).build());
        }
        return out;
    }
}

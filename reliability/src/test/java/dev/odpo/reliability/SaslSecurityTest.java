package dev.odpo.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.EvalReport;
import dev.odpo.events.HumanFeedback;
import dev.odpo.events.PreferencePair;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Given the embedded broker taking only SASL/SCRAM clients on its port, when every service and every command that
 * talks to Kafka gets its credentials from settings alone — a {@code --config} file or the environment — then the
 * loop runs and each command works; with a wrong password each command and service ends at once with one clear
 * line and a non-zero exit; and neither password appears in any log line, any event on any topic, nor in
 * {@code --settings}.
 */
class SaslSecurityTest {

    private static final String USER = "odpo";
    private static final String PASSWORD = "kafka-s3cret-7f1d";
    private static final String WRONG_PASSWORD = "wrong-s3cret-0b5e";
    /** Sent by every registry client as HTTP basic auth; odpo's own registry server does not check it. */
    private static final String REGISTRY_PASSWORD = "registry-s3cret-9c2e";
    private static final List<String> SECRETS = List.of(PASSWORD, WRONG_PASSWORD, REGISTRY_PASSWORD);
    private static final String PREFIX = "sec.";
    private static final Duration COMMAND = Duration.ofSeconds(120);

    /** Every log line of this JVM (the five services, the registry, the broker), with its exceptions' messages. */
    private static final List<String> LOG = Collections.synchronizedList(new ArrayList<>());

    static {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        AppenderBase<ILoggingEvent> capture = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                LOG.add(e.getFormattedMessage());
                for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                    LOG.add(t.getClassName() + ": " + t.getMessage());
                }
            }
        };
        capture.setContext(context);
        capture.start();
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(capture);
    }

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension().withScramUser(USER, PASSWORD);

    @TempDir
    Path tmp;

    @Test
    void everyServiceAndCommandWorksWithCredentialsFromSettingsAloneAndNoSecretLeaks() throws Exception {
        // Given: settings that carry the credentials, for the services and for the commands
        Path checkpoints = tmp.resolve("checkpoints");
        Map<String, String> common = settings(PASSWORD, checkpoints);
        Path client = write(tmp.resolve("client.properties"), common);
        KafkaSettings kafka = KafkaSettings.from(dev.odpo.kafka.config.ConfigValues.load(KafkaSettings.SETTINGS, Map.of(),
                client, false));
        Topics topics = kafka.topics();
        List<OdpoProcess.Result> commands = new ArrayList<>();
        Path model = tmp.resolve("pi0");
        TinyPolicy.write(model, 7);
        Path prompts = tmp.resolve("prompts.jsonl");
        Files.writeString(prompts, IntStream.range(0, 24).mapToObj(i -> "{\"prompt_id\": \"sec-" + i
                + "\", \"text\": \"Reverse the list: " + i + " " + (i * 7 % 10) + " 3\"}").collect(Collectors.joining("\n")));

        // When: the commands set up the topics and the first version, the services run, prompts come in
        commands.add(ok(List.of("topics", "create", "--config", client.toString())));
        commands.add(ok(List.of("checkpoints", "publish", "--model", model.toString(), "--policy", LoopFixture.POLICY,
                "--config", client.toString())));
        try (LoopFixture loop = new LoopFixture(tmp.resolve("loop"), common);
             TopicLog<Sample> samples = TopicLog.of(kafka, topics.samples());
             TopicLog<Score> scores = TopicLog.of(kafka, topics.scores());
             TopicLog<PreferencePair> pairs = TopicLog.of(kafka, topics.pairs());
             TopicLog<CheckpointAnnouncement> announcements = TopicLog.of(kafka, topics.checkpoints());
             TopicLog<EvalReport> evaluations = TopicLog.of(kafka, topics.evaluations());
             TopicLog<HumanFeedback> feedback = TopicLog.of(kafka, topics.feedback())) {
            loop.startAll();
            commands.add(ok(List.of("prompts", prompts.toString(), "--no-progress", "--config", client.toString())));

            // Then: the loop goes round: every prompt sampled and scored, pairs built, a version learned and evaluated
            samples.until(all -> promptIds(all.stream().map(e -> e.value().getPromptId())).size() == 24,
                    Duration.ofSeconds(180));
            scores.until(all -> all.size() >= 48, Duration.ofSeconds(120));
            pairs.until(all -> !all.isEmpty(), Duration.ofSeconds(120));
            announcements.until(all -> all.stream().anyMatch(e -> e.value().getVersion() >= 1), Duration.ofSeconds(180));
            evaluations.until(all -> !all.isEmpty(), Duration.ofSeconds(120));

            // and every command that reads the loop works with the same file — or with the environment alone
            OdpoProcess.Result tail = ok(List.of("tail", "samples", "--max", "3", "--config", client.toString()));
            assertThat(tail.output().lines().filter(l -> l.startsWith("{"))).hasSize(3);
            commands.add(tail);
            commands.add(ok(List.of("monitor", "--plain", "--max-updates", "1", "--policy", LoopFixture.POLICY,
                    "--config", client.toString())));
            OdpoProcess.Result list = ok(List.of("checkpoints", "list", "--config", client.toString()));
            assertThat(list.output()).contains(LoopFixture.POLICY);
            commands.add(list);
            commands.add(OdpoProcess.run(tmp, List.of("feedback", "--annotator", "sec-annotator", "--limit", "1",
                    "--config", client.toString()), Map.of(), COMMAND, "1\n"));
            assertThat(commands.get(commands.size() - 1).exitCode()).as(commands.get(commands.size() - 1).output()).isZero();
            feedback.until(all -> all.stream().anyMatch(e -> e.value().getAnnotator().equals("sec-annotator")),
                    Duration.ofSeconds(30));
            OdpoProcess.Result fromEnvironment = OdpoProcess.run(tmp, List.of("topics", "describe"),
                    environment(common), COMMAND);
            assertThat(fromEnvironment.exitCode()).as(fromEnvironment.output()).isZero();
            assertThat(fromEnvironment.output()).contains(topics.prompts().name());
            commands.add(fromEnvironment);
            for (String service : LoopFixture.SERVICES) {
                commands.add(ok(List.of("run", service, "--settings", "--config",
                        tmp.resolve("loop").resolve(service + ".properties").toString())));
            }
            assertThat(loop.stoppedOnTheirOwn()).isEmpty();
        }

        // Then: no secret in any log line, any command's output, any event on any topic
        for (OdpoProcess.Result r : commands) {
            assertThat(r.output()).as("output of odpo %s", r.args()).doesNotContain(SECRETS);
        }
        synchronized (LOG) {
            assertThat(LOG).isNotEmpty().noneMatch(line -> SECRETS.stream().anyMatch(line::contains));
        }
        Map<String, Long> scanned = scanEveryTopic(kafka);
        assertThat(scanned).containsKeys(topics.prompts().name(), topics.samples().name(), topics.checkpoints().name(),
                topics.feedback().name(), "_schemas");
        assertThat(scanned.values().stream().mapToLong(Long::longValue).sum()).isPositive();
    }

    @Test
    void aWrongPasswordEndsEachCommandAndServiceWithOneClearLine() throws Exception {
        Path checkpoints = tmp.resolve("checkpoints");
        Map<String, String> wrong = settings(WRONG_PASSWORD, checkpoints);
        Path client = write(tmp.resolve("wrong.properties"), wrong);
        Path prompts = Files.writeString(tmp.resolve("prompts.jsonl"), "{\"prompt_id\": \"w-1\", \"text\": \"hi\"}\n");
        Map<String, String> noTopicCreation = new TreeMap<>(wrong);
        noTopicCreation.put("topic.create", "false");
        // each service's own settings file, as for the loop, with the wrong password
        new LoopFixture(tmp.resolve("wrong"), wrong).close();
        new LoopFixture(tmp.resolve("wrong-no-create"), noTopicCreation).close();

        List<List<String>> invocations = List.of(
                List.of("topics", "describe", "--config", client.toString()),
                List.of("topics", "create", "--config", client.toString()),
                List.of("prompts", prompts.toString(), "--no-progress", "--config", client.toString()),
                List.of("tail", "samples", "--max", "1", "--config", client.toString()),
                List.of("monitor", "--plain", "--max-updates", "1", "--config", client.toString()),
                List.of("checkpoints", "list", "--config", client.toString()),
                List.of("feedback", "--annotator", "a", "--config", client.toString()),
                // a service whose topics do not exist yet first meets Kafka when it creates them …
                List.of("run", "generator", "--config", tmp.resolve("wrong/generator.properties").toString()),
                List.of("run", "scorer", "--config", tmp.resolve("wrong/scorer.properties").toString()),
                List.of("run", "pair-builder", "--config", tmp.resolve("wrong/pair-builder.properties").toString()),
                List.of("run", "learner", "--config", tmp.resolve("wrong/learner.properties").toString()),
                List.of("run", "evaluator", "--config", tmp.resolve("wrong/evaluator.properties").toString()),
                // … one that does not create topics, when it starts consuming
                List.of("run", "scorer", "--config", tmp.resolve("wrong-no-create/scorer.properties").toString()),
                List.of("run", "generator", "--config", tmp.resolve("wrong-no-create/generator.properties").toString()));
        List<OdpoProcess.Result> results = new ArrayList<>();
        for (List<String> args : invocations) {
            results.add(OdpoProcess.run(tmp, args, Map.of(), COMMAND));
        }
        results.add(OdpoProcess.run(tmp, List.of("topics", "describe"), environment(wrong), COMMAND));

        for (OdpoProcess.Result r : results) {
            assertThat(r.exitCode()).as("exit code of odpo %s\n%s", r.args(), r.output()).isNotZero();
            assertThat(r.printedAStackTrace()).as("stack trace from odpo %s\n%s", r.args(), r.output()).isFalse();
            assertThat(r.errorLines()).as("error lines of odpo %s\n%s", r.args(), r.output()).isNotEmpty()
                    .hasSizeLessThanOrEqualTo(4)
                    .anySatisfy(line -> assertThat(line.toLowerCase(java.util.Locale.ROOT)).contains("authentication"));
            assertThat(r.output()).as("output of odpo %s", r.args()).doesNotContain(SECRETS);
        }
    }

    // ---- settings --------------------------------------------------------------------------------------

    /** The shared settings of every service and command, with the Kafka password given. */
    private Map<String, String> settings(String password, Path checkpoints) {
        Map<String, String> s = new TreeMap<>();
        s.put("bootstrap.servers", KAFKA.bootstrapServers());
        s.put("schema.registry.url", KAFKA.registryUrl());
        s.put("topic.prefix", PREFIX);
        s.put("topic.partitions", "1");
        s.put("checkpoint.dir", checkpoints.toString());
        KAFKA.clientSecurity(USER, password).forEach((k, v) -> s.put("kafka." + k, v));
        s.put("registry.basic.auth.credentials.source", "USER_INFO");
        s.put("registry.basic.auth.user.info", USER + ":" + REGISTRY_PASSWORD);
        return s;
    }

    /** The same settings as environment variables (ODPO_BOOTSTRAP_SERVERS, ODPO_KAFKA_SASL_JAAS_CONFIG …). */
    private static Map<String, String> environment(Map<String, String> settings) {
        Map<String, String> env = new HashMap<>();
        settings.forEach((k, v) -> env.put(dev.odpo.kafka.config.Setting.envVarFor(k), v));
        return env;
    }

    private static Path write(Path file, Map<String, String> settings) throws IOException {
        Properties p = new Properties();
        p.putAll(settings);
        try (var out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            p.store(out, null);
        }
        return file;
    }

    private OdpoProcess.Result ok(List<String> args) throws Exception {
        OdpoProcess.Result r = OdpoProcess.run(tmp, args, Map.of(), COMMAND);
        assertThat(r.exitCode()).as("exit code of odpo %s\n%s", args, r.output()).isZero();
        return r;
    }

    private static Set<String> promptIds(java.util.stream.Stream<String> ids) {
        return ids.filter(id -> id.startsWith("sec-")).collect(Collectors.toSet());
    }

    /**
     * Reads every record of every topic, internal ones included, as raw bytes — keys, values and headers — and
     * fails if a secret is in any; returns how many records each topic held.
     */
    private static Map<String, Long> scanEveryTopic(KafkaSettings kafka) throws Exception {
        Map<String, Long> counts = new TreeMap<>();
        Set<String> names;
        try (Admin admin = Admin.create(kafka.admin("scan"))) {
            names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
        }
        Properties p = kafka.rawConsumer("unused-" + UUID.randomUUID(), "secret-scan");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        p.put(ConsumerConfig.EXCLUDE_INTERNAL_TOPICS_CONFIG, "false");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            for (String topic : names) {
                List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                        .map(i -> new TopicPartition(topic, i.partition())).toList();
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                long n = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                    assertThat(System.nanoTime()).as("reading %s to its end", topic).isLessThan(deadline);
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        StringBuilder text = new StringBuilder();
                        text.append(latin1(r.key())).append(' ').append(latin1(r.value()));
                        for (Header h : r.headers()) {
                            text.append(' ').append(h.key()).append('=').append(latin1(h.value()));
                        }
                        String all = text.toString();
                        assertThat(SECRETS).as("secrets in %s at %d:%d", topic, r.partition(), r.offset())
                                .noneMatch(all::contains);
                        n++;
                    }
                }
                counts.put(topic, n);
            }
        }
        return counts;
    }

    private static String latin1(byte[] bytes) {
        return bytes == null ? "" : new String(bytes, StandardCharsets.ISO_8859_1);
    }
}

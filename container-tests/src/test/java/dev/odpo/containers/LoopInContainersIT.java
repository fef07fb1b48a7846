package dev.odpo.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.EvalReport;
import dev.odpo.events.PreferencePair;
import dev.odpo.events.Prompt;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.kafka.config.Setting;
import dev.odpo.task.Split;
import dev.odpo.task.TaskPrompt;
import dev.odpo.task.TaskSuite;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The loop across containers, as a deployment runs it: Kafka (a container of {@code apache/kafka} or a
 * compatible local build of it), odpo's schema registry and the five services, each a container of the project
 * image built from {@code docker/Dockerfile} with the jars this build packaged, on one private network.
 *
 * <p>Given a small π0 trained in a container of the image and published as version 0 into a volume the services
 * share, when the built-in task's prompts arrive from the host through Kafka's published port, then the services
 * produce preference pairs, the learner publishes version 1 and the evaluator reports on a version.
 * Skipped (with the reason) where no Docker engine runs or the images it needs are not in the local engine.
 */
@Testcontainers(disabledWithoutDocker = true)
class LoopInContainersIT {

    static final String POLICY = "policy";

    static Network network;
    static ProjectImage image;
    static KafkaContainer kafka;
    static GenericContainer<?> registry;
    static final List<GenericContainer<?>> services = new ArrayList<>();
    static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    /** Named volumes the containers share (volume → mount point): snapshots, models, PyTorch's unpacked natives. */
    static final Map<String, String> volumes = Map.of(
            "odpo-it-" + RUN + "-checkpoints", "/var/lib/odpo/checkpoints",
            "odpo-it-" + RUN + "-models", "/var/lib/odpo/models",
            "odpo-it-" + RUN + "-djl", "/var/cache/djl");

    static String skipReason;

    @BeforeAll
    static void startKafkaAndRegistry() {
        skipReason = ContainerImages.missing(ContainerImages.kafka(), ProjectImage.buildImage(), ProjectImage.runtimeImage());
        if (skipReason != null) {
            return;
        }
        network = Network.newNetwork();
        image = ProjectImage.build();
        kafka = new KafkaContainer(ContainerImages.kafka()).withNetwork(network).withNetworkAliases("kafka")
                .withListener("kafka:19092");
        kafka.start();
        registry = image.schemaRegistry(network, "kafka:19092");
        registry.start();
    }

    @BeforeEach
    void imagesAreHere() {
        Assumptions.assumeTrue(skipReason == null, () -> skipReason);
    }

    @AfterAll
    static void stopEverything() {
        services.forEach(GenericContainer::stop);
        if (registry != null) {
            registry.stop();
        }
        if (kafka != null) {
            kafka.stop();
        }
        if (network != null) {
            network.close();
        }
        if (image != null) {
            image.removeVolumes(volumes.keySet());
        }
    }

    @Test
    void theServicesInContainersProducePairsAndPublishANewVersion() {
        // Given a small π0, trained in a container, announced as version 0
        image.runToCompletion("sft", network, volumes, Map.of(), "sft", "--out", "/var/lib/odpo/models/pi0", "--steps", "40",
                "--batch-size", "16", "--hidden", "32", "--layers", "1", "--demonstrations", "512", "--eval-prompts", "0");
        image.runToCompletion("publish", network, volumes, serviceEnv(), "checkpoints", "publish", "--model",
                "/var/lib/odpo/models/pi0", "--policy", POLICY);

        // and the five services, each in its own container
        startService("generator", Map.of("generator.policy", POLICY, "generator.n", "4", "generator.batch.size", "4",
                "generator.max.new.tokens", "24"));
        startService("scorer", Map.of("scorer.name", "gold", "scorer.components", "verifier,length-penalty",
                "scorer.length-penalty.lambda", "0.01"));
        startService("pair-builder", Map.of("pair-builder.state.dir", "/tmp/streams"));
        startService("learner", Map.of("learner.policy.name", POLICY, "learner.batch.size", "4",
                "learner.snapshot.steps", "1", "learner.warmup.steps", "0", "learner.max.staleness", "-1"));
        startService("evaluator", Map.of("evaluator.policy.name", POLICY, "evaluator.prompts", "8",
                "evaluator.batch.size", "8", "evaluator.max.new.tokens", "24", "evaluator.report.dir", "/tmp/reports"));

        // When the built-in task's prompts arrive from the host through Kafka's published port
        KafkaSettings host = KafkaSettings.local(kafka.getBootstrapServers(),
                "http://" + registry.getHost() + ":" + registry.getMappedPort(ProjectImage.REGISTRY_PORT));
        Topics topics = host.topics();
        sendPrompts(host, topics.prompts(), 64);

        // Then pairs flow and the learner announces version 1, and the evaluator reports
        await().atMost(Duration.ofMinutes(12)).pollInterval(Duration.ofSeconds(5)).untilAsserted(() -> {
            services.forEach(LoopInContainersIT::stillRunning);
            assertThat(read(host, topics.pairs())).isNotEmpty();
            assertThat(read(host, topics.checkpoints())).extracting(CheckpointAnnouncement::getVersion).contains(1L);
            assertThat(read(host, topics.evaluations())).extracting(EvalReport::getPolicyName).contains(POLICY);
        });
        List<PreferencePair> pairs = read(host, topics.pairs());
        assertThat(pairs).allSatisfy(p -> assertThat(p.getChosenSampleId()).isNotEqualTo(p.getRejectedSampleId()));
    }

    /** A service that stopped fails the test at once, with its last words. */
    static void stillRunning(GenericContainer<?> service) {
        if (!service.isRunning()) {
            String logs = service.getLogs();
            throw new IllegalStateException(service.getNetworkAliases() + " stopped:\n"
                    + logs.substring(Math.max(0, logs.length() - 2000)));
        }
    }

    static Map<String, String> serviceEnv() {
        return Map.of("ODPO_BOOTSTRAP_SERVERS", "kafka:19092",
                "ODPO_SCHEMA_REGISTRY_URL", "http://schema-registry:" + ProjectImage.REGISTRY_PORT,
                "ODPO_CHECKPOINT_DIR", "/var/lib/odpo/checkpoints",
                "ODPO_JAVA_OPTS", "-Xmx400m -XX:+UseSerialGC -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1");
    }

    static void startService(String name, Map<String, String> settings) {
        Map<String, String> env = new HashMap<>(serviceEnv());
        settings.forEach((k, v) -> env.put(Setting.envVarFor(k), v));
        GenericContainer<?> service = image.service(name, network, volumes, env, "run", name);
        service.start();
        services.add(service);
    }

    static void sendPrompts(KafkaSettings kafka, Topic<String, Prompt> topic, int n) {
        Supplier<TaskPrompt> stream = new TaskSuite(TaskSuite.DEFAULT_SEED).stream(Split.RL, 7);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.rawProducer("odpo-it-prompts"))) {
            for (int i = 0; i < n; i++) {
                TaskPrompt p = stream.get();
                Prompt prompt = Prompt.newBuilder().setPromptId(p.id() + "-" + i).setText(p.text())
                        .setTask(p.kind().family()).setReferenceAnswer(p.answer()).setSource("odpo-it")
                        .setCreatedAt(Instant.now()).build();
                producer.send(topic.record(prompt.getPromptId(), prompt));
            }
            producer.flush();
        }
    }

    /** Every event on the topic so far, decoded with the topic's serdes. */
    static <V> List<V> read(KafkaSettings kafka, Topic<String, V> topic) {
        List<V> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.rawConsumer("odpo-it-read-" + UUID.randomUUID(), "odpo-it"))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.currentTimeMillis() + 10_000;
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp)) && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(topic.value(r));
                }
            }
        }
        return values;
    }
}

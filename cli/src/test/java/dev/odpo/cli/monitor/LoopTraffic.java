package dev.odpo.cli.monitor;

import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.DeadLetter;
import dev.odpo.events.EvalReport;
import dev.odpo.events.LearnerMetrics;
import dev.odpo.events.PreferencePair;
import dev.odpo.events.Sample;
import dev.odpo.events.SamplerKind;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;

/**
 * Events of a running loop, written to a real broker as the services write them, for the monitor's tests: samples
 * and pairs of a few versions, announcements, evaluation reports, learner metrics, a dead letter, and a consumer
 * group with committed offsets.
 */
final class LoopTraffic implements AutoCloseable {

    static final String POLICY = "pi";

    private final KafkaSettings kafka;
    private final Topics topics;
    private final KafkaProducer<byte[], byte[]> producer;

    LoopTraffic(KafkaSettings kafka) {
        this.kafka = kafka;
        this.topics = kafka.topics();
        TopicAdmin.create(kafka).createMissing(topics.all());
        this.producer = new KafkaProducer<>(kafka.rawProducer("monitor-test"));
    }

    Topics topics() {
        return topics;
    }

    <V> void send(Topic<String, V> topic, String key, V value) {
        try {
            producer.send(topic.record(key, value)).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    void sample(String id, String policy, long version) {
        send(topics.samples(), "p-" + id, Sample.newBuilder().setSampleId(id).setPromptId("p-" + id).setGroupId("g-" + id)
                .setCreatedAt(Instant.now()).setPromptText("2+3?").setResponseText("5").setGroupSize(2)
                .setIndexInGroup(0).setPolicyName(policy).setPolicyVersion(version).setSampler(SamplerKind.POLICY)
                .setPairSlot(null).setLogprob(-1.0).setResponseTokenIds(List.of(1, 2)).setFinishReason("eos").build());
    }

    void pair(String id, long chosenVersion, long rejectedVersion) {
        send(topics.pairs(), "p-" + id, PreferencePair.newBuilder().setPairId(id).setPromptId("p-" + id)
                .setCreatedAt(Instant.now()).setPromptText("2+3?").setChosenText("5").setRejectedText("6")
                .setChosenSampleId(id + "-a").setRejectedSampleId(id + "-b").setChosenReward(1).setRejectedReward(0)
                .setMargin(1).setChosenPolicyVersion(chosenVersion).setRejectedPolicyVersion(rejectedVersion)
                .setSelection("best-vs-worst").setJudge("verifier").build());
    }

    void announce(String policy, long version) {
        send(topics.checkpoints(), policy, CheckpointAnnouncement.newBuilder().setAnnouncementId(policy + version)
                .setPolicyName(policy).setVersion(version).setCreatedAt(Instant.now())
                .setUri("file:/store/" + policy + "/v" + version).setSha256("0".repeat(64)).setStep(version * 8)
                .setPairsTrained(version * 128).build());
    }

    void evaluation(String policy, long version, double gold, double kl) {
        send(topics.evaluations(), policy, EvalReport.newBuilder().setReportId(policy + version).setPolicyName(policy)
                .setPolicyVersion(version).setCreatedAt(Instant.now()).setEvalSet("heldout-128").setNumPrompts(128)
                .setGoldReward(gold).setKlToReference(kl).setBeta(0.1).setObjective(gold - 0.1 * kl)
                .setAccuracy(gold).setProxyReward(gold + 0.5).setMeanResponseTokens(12.0 - version)
                .setMetrics(Map.of("greedy_accuracy", 0.5, "win_rate_vs_pi0", 0.5 + version / 10.0, "pairs_trained",
                        version * 128.0)).build());
    }

    void metrics(String policy, long version, long step, double loss, double accuracy) {
        send(topics.learnerMetrics(), policy, LearnerMetrics.newBuilder().setMetricsId(policy + step)
                .setPolicyName(policy).setPolicyVersion(version).setStep(step).setCreatedAt(Instant.now())
                .setLossType("sigmoid").setBeta(0.1).setLoss(loss).setRewardAccuracy(accuracy).setRewardMargin(0.2)
                .setChosenReward(0.1).setRejectedReward(-0.1).setPairs(16).setStalenessMean(0.5).setStalenessMax(1)
                .setLearningRate(5e-5).setMetrics(Map.of("pairs_per_second", 12.0, "kl_estimate", 0.03)).build());
    }

    void deadLetter(String service, String reason) {
        send(topics.deadLetters(), "x", DeadLetter.newBuilder().setDeadLetterId("dl-" + reason.hashCode())
                .setCreatedAt(Instant.now()).setService(service).setSourceTopic(topics.samples().name())
                .setSourcePartition(0).setSourceOffset(0).setErrorClass("DecodeError").setReason(reason).build());
    }

    /** Commits, for consumer group {@code group}, offset {@code offset} on every partition of {@code topic}. */
    void commit(String group, Topic<?, ?> topic, long offset) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.rawConsumer(group, "monitor-test-" + group))) {
            Map<TopicPartition, OffsetAndMetadata> offsets = new java.util.HashMap<>();
            c.partitionsFor(topic.name()).forEach(p -> offsets.put(new TopicPartition(topic.name(), p.partition()),
                    new OffsetAndMetadata(offset)));
            c.commitSync(offsets);
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}

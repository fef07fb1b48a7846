package dev.odpo.pairs;

import static dev.odpo.pairs.Events.sample;
import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.HumanFeedback;
import dev.odpo.events.PairSource;
import dev.odpo.events.PreferencePair;
import dev.odpo.events.Sample;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live human-feedback path on a real broker and registry: samples on the topic, a person answering in
 * `odpo feedback` (its session, driven by a string), the pair-builder service turning the answers into
 * HUMAN pairs.
 */
class HumanFeedbackLoopTest {
    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @TempDir
    Path work;

    @Test
    void answersInTheFeedbackToolBecomeHumanPairs() throws Exception {
        // Given: two prompts' samples on the samples topic, written just now
        KafkaSettings kafka = KafkaSettings.local(KAFKA.bootstrapServers(), KAFKA.registryUrl()).withPartitions(2);
        Topics topics = kafka.topics();
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            admin.createMissing(topics.all());
        }
        try (KafkaProducer<String, Sample> producer = new KafkaProducer<>(kafka.rawProducer("test"),
                topics.samples().keySerde().serializer(), topics.samples().valueSerde().serializer())) {
            for (String group : List.of("a", "b")) {
                for (int i = 0; i < 2; i++) {
                    Sample s = sample(group, i, 2, group + " answer " + i);
                    s.setCreatedAt(Instant.now());
                    producer.send(new ProducerRecord<>(topics.samples().name(), s.getPromptId(), s)).get();
                }
            }
        }
        PairBuilderService service = new PairBuilderService(new PairBuilderSettings(kafka, PairBuilderConfig.defaults(),
                "feedback-loop-test", work.resolve("state"), 1, Duration.ofSeconds(5)));
        Thread running = new Thread(service, "pair-builder");
        running.start();

        // When: a person answers 1 for the first prompt shown and 2 for the second
        RecentSamples.Result recent = RecentSamples.read(kafka, topics.samples(), Duration.ofHours(1), 100,
                Clock.systemUTC(), Duration.ofSeconds(30));
        assertThat(recent.samples()).hasSize(4);
        List<HumanFeedback> answers = new ArrayList<>();
        try (KafkaProducer<String, HumanFeedback> producer = new KafkaProducer<>(kafka.rawProducer("test-feedback"),
                topics.feedback().keySerde().serializer(), topics.feedback().valueSerde().serializer())) {
            FeedbackSession session = new FeedbackSession(recent.samples(), "alice", 1.0, new Random(3), Clock.systemUTC());
            session.run(new BufferedReader(new StringReader("1\n2\n")), new PrintWriter(new StringWriter()), fb -> {
                answers.add(fb);
                producer.send(new ProducerRecord<>(topics.feedback().name(), fb.getPromptId(), fb));
            }, 10);
        }

        // Then: two HUMAN pairs, the chosen side being the one the person picked
        List<PreferencePair> pairs = readPairs(kafka, topics, 2, Duration.ofSeconds(60));
        service.stop();
        assertThat(service.awaitStopped(Duration.ofSeconds(30))).isTrue();
        assertThat(pairs).hasSize(2);
        for (HumanFeedback fb : answers) {
            PreferencePair pair = pairs.stream().filter(p -> fb.getFeedbackId().equals(p.getFeedbackId())).findFirst().orElseThrow();
            String picked = fb.getChoice() == dev.odpo.events.FeedbackChoice.A ? fb.getSampleAId() : fb.getSampleBId();
            assertThat(pair.getChosenSampleId()).isEqualTo(picked);
            assertThat(pair.getSource()).isEqualTo(PairSource.HUMAN);
            assertThat(pair.getJudge()).isEqualTo("alice");
        }
        assertThat(service.metrics().snapshot().humanPairs()).isEqualTo(2);
    }

    private static List<PreferencePair> readPairs(KafkaSettings kafka, Topics topics, int expected, Duration timeout) {
        Properties p = kafka.common("test-reader");
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-reader");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<PreferencePair> out = new ArrayList<>();
        try (KafkaConsumer<String, PreferencePair> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                topics.pairs().valueSerde().deserializer())) {
            consumer.subscribe(List.of(topics.pairs().name()));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
            }
            // anything more (a duplicate) would arrive within a few commit intervals
            long settle = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < settle) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
            }
        }
        return out;
    }
}

package dev.odpo.scorer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.DeadLetter;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import dev.odpo.events.ScorerKind;
import dev.odpo.model.RewardModel;
import dev.odpo.model.TextTokenizer;
import dev.odpo.task.GoldReward;
import dev.odpo.task.TaskTokenizer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Scorers on a real broker: side by side under their own names, and re-scoring the retained history. */
class SideBySideScorersTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    private static final Duration WAIT = Duration.ofSeconds(60);

    private static ScorerKafka topics(int partitions) {
        return new ScorerKafka(KAFKA.bootstrapServers(), "mock://scorer-" + UUID.randomUUID(), partitions);
    }

    /** Groups of four arithmetic samples, answered right, padded, wrong and empty. */
    private static List<Sample> arithmetic(int groups) {
        List<Sample> out = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            int a = g + 2;
            String answer = Integer.toString(a + a);
            String[] responses = {answer, "Let me see, " + a + " plus " + a + ". The answer is " + answer, "7", ""};
            for (int i = 0; i < responses.length; i++) {
                out.add(Samples.sample().setSampleId("g" + g + "-s" + i).setPromptId("p" + g).setGroupId("g" + g)
                        .setGroupSize(responses.length).setIndexInGroup(i).setPromptText("What is " + a + " + " + a + "?")
                        .setResponseText(responses[i]).setTask("arithmetic").setReferenceAnswer(answer).build());
            }
        }
        return out;
    }

    private static Sample userPrompt() {
        return Samples.sample().setSampleId("u-s0").setPromptId("u").setGroupId("u").setGroupSize(1)
                .setPromptText("Write a haiku about Kafka.").setResponseText("Logs flow like rivers").build();
    }

    @Test
    void twoScorersEachScoreEverySampleOnceUnderTheirOwnNames() throws Exception {
        // Given: 12 task samples, one sample of a user prompt (no reference answer), and one whose key is not its prompt
        ScorerKafka k = topics(2);
        List<Sample> task = arithmetic(3);
        Sample user = userPrompt();
        List<Sample> all = new ArrayList<>(task);
        all.add(user);
        k.produce(all);
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(k.kafka.rawProducer("bad"))) {
            producer.send(k.record("not-p0", task.get(0))).get();
        }

        // When: a verifier scorer and a length-penalty scorer run side by side
        ScorerConfig verifierConfig = k.config(Map.of("ODPO_SCORER_COMPONENTS", "verifier",
                "ODPO_SCORER_NAME", "verifier:gold", "ODPO_SCORER_BATCH_SIZE", "5"));
        ScorerConfig lengthConfig = k.config(Map.of("ODPO_SCORER_COMPONENTS", "length-penalty",
                "ODPO_SCORER_NAME", "length", "ODPO_SCORER_LENGTH_PENALTY_LAMBDA", "0.01"));
        List<ConsumerRecord<String, Score>> scores;
        try (var a = new ScorerKafka.Running(Scorer.create(verifierConfig));
             var b = new ScorerKafka.Running(Scorer.create(lengthConfig))) {
            scores = k.scores("read_committed", got -> got.size() >= 12 + 13, WAIT);
            Thread.sleep(1000); // a duplicate would be committed by now
            scores = k.scores("read_committed", got -> false, Duration.ofSeconds(3));
        }

        // Then: each scorer scored every sample it can, once, under its own name and group
        assertThat(verifierConfig.groupId()).isNotEqualTo(lengthConfig.groupId());
        Map<String, List<Score>> byScorer = scores.stream().map(ConsumerRecord::value)
                .collect(Collectors.groupingBy(Score::getScorer));
        assertThat(byScorer).containsOnlyKeys("verifier:gold", "length");
        assertThat(byScorer.get("verifier:gold")).extracting(Score::getSampleId).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(task.stream().map(Sample::getSampleId).toList());
        assertThat(byScorer.get("length")).extracting(Score::getSampleId).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(all.stream().map(Sample::getSampleId).toList());

        // ... with the verifier's gold rewards and the length penalty's −λ·|response|
        Map<String, Sample> byId = all.stream().collect(Collectors.toMap(Sample::getSampleId, s -> s));
        GoldReward gold = new GoldReward();
        for (Score s : byScorer.get("verifier:gold")) {
            Sample sample = byId.get(s.getSampleId());
            assertThat(s.getReward()).isEqualTo(gold.score("arithmetic", sample.getReferenceAnswer(),
                    sample.getResponseText()).reward());
            assertThat(s.getComponents()).containsOnlyKeys("verifier");
            assertThat(s.getScorerKind()).isEqualTo(ScorerKind.VERIFIER);
            assertThat(s.getGroupSize()).isEqualTo(4);
            assertThat(s.getPolicyVersion()).isEqualTo(sample.getPolicyVersion());
        }
        for (Score s : byScorer.get("length")) {
            assertThat(s.getReward()).isCloseTo(-0.01 * byId.get(s.getSampleId()).getResponseText().length(), within(1e-12));
            assertThat(s.getScorerKind()).isEqualTo(ScorerKind.LENGTH_PENALTY);
        }
        // ... keyed by prompt id, so scores meet their samples in the same partition
        assertThat(scores).allSatisfy(r -> assertThat(r.key()).isEqualTo(r.value().getPromptId()));

        // ... and what could not be scored is in the dead letters with the reason: the bad key for both
        // scorers, the user prompt for the verifier alone
        List<DeadLetter> letters = k.deadLetters(got -> got.size() >= 3, WAIT);
        assertThat(letters).hasSize(3);
        assertThat(letters).filteredOn(d -> d.getReason().contains("differs from prompt_id")).hasSize(2)
                .extracting(DeadLetter::getService).containsExactlyInAnyOrder("scorer:verifier:gold", "scorer:length");
        assertThat(letters).filteredOn(d -> d.getReason().contains("no component applies")).singleElement()
                .satisfies(d -> assertThat(d.getService()).isEqualTo("scorer:verifier:gold"));
    }

    @Test
    void aRewardModelScorerPublishesTheModelsScoreAndDeadLettersWhatExceedsItsContext(@TempDir Path dir) throws Exception {
        // Given: a tiny reward model with a 60-token context, and samples of which one is too long for it
        TinyRewardModel.write(dir, 60, 5);
        ScorerKafka k = topics(2);
        List<Sample> samples = new ArrayList<>(arithmetic(1));
        Sample tooLong = Samples.sample().setSampleId("long").setPromptId("p9").setGroupId("g9").setGroupSize(1)
                .setPromptText("What is 1 + 1?").setResponseText("two ".repeat(20)).build();
        samples.add(tooLong);
        k.produce(samples);

        // When: a scorer of reward model plus a per-token length penalty runs
        ScorerConfig config = k.config(Map.of("ODPO_SCORER_COMPONENTS", "reward-model,length-penalty",
                "ODPO_SCORER_REWARD_MODEL_DIR", dir.toString(), "ODPO_SCORER_NAME", "reward-model:tiny",
                "ODPO_SCORER_LENGTH_PENALTY_LAMBDA", "0.01", "ODPO_SCORER_LENGTH_PENALTY_UNIT", "tokens"));
        List<ConsumerRecord<String, Score>> scores;
        try (var run = new ScorerKafka.Running(Scorer.create(config))) {
            scores = k.scores("read_committed", got -> got.size() >= 4, WAIT);
        }

        // Then: each Score carries the model's own score of its text, and the length in the model's tokens
        assertThat(scores).hasSize(4);
        try (RewardModel rm = RewardModel.load(dir, Device.cpu()); TextTokenizer tok = TextTokenizer.load(dir)) {
            for (ConsumerRecord<String, Score> r : scores) {
                Score s = r.value();
                Sample sample = samples.stream().filter(x -> x.getSampleId().equals(s.getSampleId())).findFirst().orElseThrow();
                int[] ids = tok.encode(TaskTokenizer.renderPrompt(sample.getPromptText()) + sample.getResponseText()
                        + TaskTokenizer.EOS, false);
                double own = rm.score(List.of(ids))[0];
                int tokens = sample.getResponseText().length(); // one token per character
                assertThat(s.getComponents().get("reward-model")).isCloseTo(own, within(1e-4));
                assertThat(s.getComponents().get("length-penalty")).isCloseTo(-0.01 * tokens, within(1e-12));
                assertThat(s.getReward()).isCloseTo(own - 0.01 * tokens, within(1e-4));
                assertThat(s.getResponseLength()).isEqualTo(tokens);
                assertThat(s.getScorerKind()).isEqualTo(ScorerKind.REWARD_MODEL);
            }
        }
        // ... and the sample the model cannot read whole is dead-lettered with the reason
        assertThat(k.deadLetters(got -> !got.isEmpty(), WAIT)).singleElement().satisfies(d -> {
            assertThat(d.getSourceTopic()).isEqualTo(k.topics.samples().name());
            assertThat(d.getReason()).contains("reward-model").contains("context is 60");
        });
    }

    @Test
    void reScoringFromTheBeginningScoresEveryRetainedSample() throws Exception {
        // Given: a verifier has scored 8 samples and stopped; 4 more arrive; the oldest sample leaves retention
        ScorerKafka k = topics(1);
        List<Sample> first = arithmetic(2);
        List<Sample> later = arithmetic(3).subList(8, 12);
        Map<String, String> settings = Map.of("ODPO_SCORER_COMPONENTS", "verifier", "ODPO_SCORER_NAME", "verifier:gold");
        k.produce(first);
        try (var run = new ScorerKafka.Running(Scorer.create(k.config(settings)))) {
            assertThat(k.scores("read_committed", got -> got.size() >= 8, WAIT)).hasSize(8);
        }
        k.produce(later);
        try (Admin admin = Admin.create(k.kafka.admin("test"))) {
            admin.deleteRecords(Map.of(new TopicPartition(k.topics.samples().name(), 0), RecordsToDelete.beforeOffset(1)))
                    .all().get();
        }

        // When: the same scorer restarts with --from-beginning
        List<ConsumerRecord<String, Score>> scores;
        try (var run = new ScorerKafka.Running(Scorer.create(k.config(settings).rewoundToBeginning()))) {
            scores = k.scores("read_committed", got -> got.size() >= 8 + 11, WAIT);
            // while it runs, a second instance asking to rewind joins the group where it is
            assertThat(HistoryRewind.toEarliest(k.kafka, run.scorer.config().groupId(), k.topics.samples().name())
                    .rewound()).isFalse();
            Thread.sleep(1000);
            scores = k.scores("read_committed", got -> false, Duration.ofSeconds(3));
        }

        // Then: the rewound run scored every retained sample once: all but the deleted first one
        List<Score> rescored = scores.subList(8, scores.size()).stream().map(ConsumerRecord::value).toList();
        Set<String> retained = new java.util.HashSet<>(first.stream().map(Sample::getSampleId).toList());
        later.forEach(s -> retained.add(s.getSampleId()));
        retained.remove(first.get(0).getSampleId());
        assertThat(rescored).extracting(Score::getSampleId).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(retained);
        // ... and a re-scored sample keeps its score id, so a consumer sees the new judgement replace the old one
        Map<String, String> firstIds = new HashMap<>();
        scores.subList(0, 8).forEach(r -> firstIds.put(r.value().getSampleId(), r.value().getScoreId()));
        assertThat(rescored).filteredOn(s -> firstIds.containsKey(s.getSampleId()))
                .allSatisfy(s -> assertThat(s.getScoreId()).isEqualTo(firstIds.get(s.getSampleId())));
    }

    @Test
    void withoutTheRewindARestartedScorerGoesOnWhereItStopped() throws Exception {
        ScorerKafka k = topics(1);
        Map<String, String> settings = Map.of("ODPO_SCORER_COMPONENTS", "verifier");
        k.produce(arithmetic(1));
        try (var run = new ScorerKafka.Running(Scorer.create(k.config(settings)))) {
            assertThat(k.scores("read_committed", got -> got.size() >= 4, WAIT)).hasSize(4);
        }
        k.produce(arithmetic(2).subList(4, 8));

        try (var run = new ScorerKafka.Running(Scorer.create(k.config(settings)))) {
            k.scores("read_committed", got -> got.size() >= 8, WAIT);
            Thread.sleep(1000);
        }

        List<ConsumerRecord<String, Score>> scores = k.scores("read_committed", got -> false, Duration.ofSeconds(3));
        assertThat(scores).extracting(r -> r.value().getSampleId()).hasSize(8).doesNotHaveDuplicates();
    }
}

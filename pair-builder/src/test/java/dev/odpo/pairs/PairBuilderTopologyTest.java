package dev.odpo.pairs;

import static dev.odpo.pairs.Events.T0;
import static dev.odpo.pairs.Events.choice;
import static dev.odpo.pairs.Events.pilafSample;
import static dev.odpo.pairs.Events.promptOf;
import static dev.odpo.pairs.Events.rating;
import static dev.odpo.pairs.Events.sample;
import static dev.odpo.pairs.Events.score;
import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.events.DeadLetter;
import dev.odpo.events.FeedbackChoice;
import dev.odpo.events.HumanFeedback;
import dev.odpo.events.PairSource;
import dev.odpo.events.PreferencePair;
import dev.odpo.events.SamplerKind;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import dev.odpo.events.ScorerKind;
import dev.odpo.kafka.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The topology against TopologyTestDriver: whole output lists, with wall-clock time driven by the test. */
class PairBuilderTopologyTest {
    private final Topics topics = Topics.create("odpo.", 1,
            Map.of("schema.registry.url", "mock://pair-builder-" + UUID.randomUUID()));
    private PairBuilderMetrics metrics;
    private TopologyTestDriver driver;
    private TestInputTopic<String, Sample> samples;
    private TestInputTopic<String, Score> scores;
    private TestInputTopic<String, HumanFeedback> feedback;
    private TestOutputTopic<String, PreferencePair> pairs;
    private TestOutputTopic<String, DeadLetter> deadLetters;

    private void start(PairBuilderConfig config) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "pair-builder-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        metrics = new PairBuilderMetrics();
        driver = new TopologyTestDriver(PairBuilderTopology.build(config, topics, metrics), props, T0);
        samples = driver.createInputTopic(topics.samples().name(), new StringSerializer(), topics.samples().valueSerde().serializer());
        scores = driver.createInputTopic(topics.scores().name(), new StringSerializer(), topics.scores().valueSerde().serializer());
        feedback = driver.createInputTopic(topics.feedback().name(), new StringSerializer(), topics.feedback().valueSerde().serializer());
        pairs = driver.createOutputTopic(topics.pairs().name(), new StringDeserializer(), topics.pairs().valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(topics.deadLetters().name(), new StringDeserializer(),
                topics.deadLetters().valueSerde().deserializer());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    /** Pipes a whole group: every sample, then every score. */
    private void group(String group, double... rewards) {
        for (int i = 0; i < rewards.length; i++) {
            samples.pipeInput(promptOf(group), sample(group, i, rewards.length, group + " response " + i));
        }
        for (int i = 0; i < rewards.length; i++) {
            scores.pipeInput(promptOf(group), score(group, i, rewards.length, rewards[i]));
        }
    }

    /** "chosen>rejected selection source" for each emitted pair, in order. */
    private List<String> emitted() {
        return pairs.readValuesToList().stream()
                .map(p -> p.getChosenSampleId() + ">" + p.getRejectedSampleId() + " " + p.getSelection() + " " + p.getSource())
                .toList();
    }

    private List<String> deadLetterReasons() {
        return deadLetters.readValuesToList().stream().map(d -> d.getErrorClass() + ": " + d.getReason()).toList();
    }

    private long storeSize(String name) {
        KeyValueStore<String, Object> store = driver.getKeyValueStore(name);
        long n = 0;
        try (var it = store.all()) {
            for (; it.hasNext(); it.next()) {
                n++;
            }
        }
        return n;
    }

    @Test
    void maxMinEmitsOnePairWithLineageOnlyOnceTheGroupIsComplete() {
        start(PairBuilderConfig.defaults());
        for (int i = 0; i < 4; i++) {
            samples.pipeInput("g-p", sample("g", i, 4, "response " + i));
        }
        double[] rewards = {0.2, 0.9, -0.4, 0.5};
        for (int i = 0; i < 3; i++) {
            scores.pipeInput("g-p", score("g", i, 4, rewards[i]));
        }
        assertThat(pairs.isEmpty()).isTrue();

        scores.pipeInput("g-p", score("g", 3, 4, rewards[3]));

        var records = pairs.readKeyValuesToList();
        assertThat(records).hasSize(1);
        assertThat(records.get(0).key).isEqualTo("g-p");
        PreferencePair pair = records.get(0).value;
        assertThat(pair).isEqualTo(PreferencePair.newBuilder()
                .setPairId(PairIds.ofGroupPair(SelectionRule.MAX_MIN, "g", "g-s1", "g-s2"))
                .setPromptId("g-p").setGroupId("g").setCreatedAt(T0)
                .setPromptText("prompt of g").setChosenText("response 1").setRejectedText("response 2")
                .setChosenSampleId("g-s1").setRejectedSampleId("g-s2")
                .setChosenReward(0.9).setRejectedReward(-0.4).setMargin(0.9 - -0.4)
                .setChosenPolicyVersion(4).setRejectedPolicyVersion(5)
                .setChosenSampler(SamplerKind.POLICY).setRejectedSampler(SamplerKind.POLICY)
                .setChosenLogprob(-3.0).setRejectedLogprob(-4.5)
                .setSource(PairSource.REWARD_MODEL).setSelection("max-min").setJudge("reward-model:rm")
                .setScoreIds(List.of("g-s1@reward-model:rm", "g-s2@reward-model:rm"))
                .setFeedbackId(null).setWeight(1.0)
                .build());
        assertThat(metrics.snapshot().groupsCompleted()).isEqualTo(1);

        // a redelivered score for the finished group changes nothing
        scores.pipeInput("g-p", score("g", 3, 4, 5.0));
        assertThat(pairs.isEmpty()).isTrue();
        assertThat(metrics.snapshot().lateEvents()).isEqualTo(1);
    }

    @Test
    void maxRandomPairsTheBestWithAnotherSample() {
        start(PairBuilderConfig.defaults().withSelection(SelectionRule.MAX_RANDOM));
        group("a", 0.1, 0.2, 0.9, 0.3);
        List<PreferencePair> out = pairs.readValuesToList();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).getChosenSampleId()).isEqualTo("a-s2");
        assertThat(out.get(0).getRejectedSampleId()).isIn("a-s0", "a-s1", "a-s3");
        assertThat(out.get(0).getSelection()).isEqualTo("max-random");
    }

    @Test
    void pilafPairsEachSlot() {
        start(PairBuilderConfig.defaults().withSelection(SelectionRule.PILAF));
        samples.pipeInput("g-p", pilafSample("g", 0, 4, 0, SamplerKind.PILAF_PLUS, "plus"));
        samples.pipeInput("g-p", pilafSample("g", 1, 4, 0, SamplerKind.PILAF_MINUS, "minus"));
        samples.pipeInput("g-p", pilafSample("g", 2, 4, 1, SamplerKind.POLICY, "policy a"));
        samples.pipeInput("g-p", pilafSample("g", 3, 4, 1, SamplerKind.POLICY, "policy b"));
        double[] rewards = {0.8, 0.1, 0.3, 0.6};
        for (int i = 0; i < 4; i++) {
            scores.pipeInput("g-p", score("g", i, 4, rewards[i]));
        }
        assertThat(emitted()).containsExactly("g-s0>g-s1 pilaf REWARD_MODEL", "g-s3>g-s2 pilaf REWARD_MODEL");
    }

    @Test
    void tiesNeverBecomePairs() {
        start(PairBuilderConfig.defaults());
        group("equal", 0.5, 0.5, 0.5);
        samples.pipeInput("same-p", sample("same", 0, 2, "identical"));
        samples.pipeInput("same-p", sample("same", 1, 2, "identical"));
        scores.pipeInput("same-p", score("same", 0, 2, 1.0));
        scores.pipeInput("same-p", score("same", 1, 2, 0.0));
        group("fine", 0.0, 1.0);

        assertThat(emitted()).containsExactly("fine-s1>fine-s0 max-min REWARD_MODEL");
        assertThat(metrics.snapshot().ties()).isEqualTo(2);
        assertThat(metrics.snapshot().groupsCompleted()).isEqualTo(3);
    }

    @Test
    void marginThresholdDropsWeakPairs() {
        start(PairBuilderConfig.defaults().withMinMargin(0.5));
        group("weak", 0.1, 0.4);
        group("strong", 0.9, 0.1);
        assertThat(emitted()).containsExactly("strong-s0>strong-s1 max-min REWARD_MODEL");
        assertThat(metrics.snapshot().belowMargin()).isEqualTo(1);
    }

    @Test
    void combinedScorersWaitForEveryNamedScorerAndSumTheirRewards() {
        start(PairBuilderConfig.defaults().withScorers(ScorerChoice.parse("verifier:arith,length-penalty")));
        samples.pipeInput("v-p", sample("v", 0, 2, "4"));
        samples.pipeInput("v-p", sample("v", 1, 2, "five"));
        scores.pipeInput("v-p", score("v", 0, 2, "verifier:arith", ScorerKind.VERIFIER, 1.0));
        scores.pipeInput("v-p", score("v", 1, 2, "verifier:arith", ScorerKind.VERIFIER, 0.0));
        scores.pipeInput("v-p", score("v", 0, 2, "length-penalty", ScorerKind.LENGTH_PENALTY, -0.1));
        assertThat(pairs.isEmpty()).isTrue();
        scores.pipeInput("v-p", score("v", 1, 2, "length-penalty", ScorerKind.LENGTH_PENALTY, -0.4));

        List<PreferencePair> out = pairs.readValuesToList();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).getChosenSampleId()).isEqualTo("v-s0");
        assertThat(out.get(0).getSource()).isEqualTo(PairSource.VERIFIER);
        assertThat(out.get(0).getJudge()).isEqualTo("verifier:arith+length-penalty");
        assertThat(out.get(0).getMargin()).isCloseTo(1.3, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(out.get(0).getScoreIds()).containsExactly(
                "v-s0@verifier:arith", "v-s0@length-penalty", "v-s1@verifier:arith", "v-s1@length-penalty");
    }

    @Test
    void incompleteGroupsAreFlushedOrDiscardedOnTimeoutAndTheStoreIsEvicted() {
        start(PairBuilderConfig.defaults().withTimeouts(Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofMinutes(10)));
        // "partial": 3 of 4 scored (a scorer lost one); "lonely": 1 of 4 scored
        for (int i = 0; i < 4; i++) {
            samples.pipeInput("partial-p", sample("partial", i, 4, "r" + i));
            samples.pipeInput("lonely-p", sample("lonely", i, 4, "r" + i));
        }
        scores.pipeInput("partial-p", score("partial", 0, 4, 0.3));
        scores.pipeInput("partial-p", score("partial", 1, 4, 0.9));
        scores.pipeInput("partial-p", score("partial", 3, 4, 0.1));
        scores.pipeInput("lonely-p", score("lonely", 2, 4, 0.5));
        assertThat(storeSize(PairBuilderTopology.GROUPS_STORE)).isEqualTo(2);

        driver.advanceWallClockTime(Duration.ofMinutes(4));
        assertThat(pairs.isEmpty()).isTrue();
        driver.advanceWallClockTime(Duration.ofMinutes(1).plusSeconds(5));

        assertThat(emitted()).containsExactly("partial-s1>partial-s3 max-min REWARD_MODEL");
        var m = metrics.snapshot();
        assertThat(m.groupsFlushed()).isEqualTo(1);
        assertThat(m.groupsDiscarded()).isEqualTo(1);
        assertThat(m.groupsCompleted()).isZero();

        // only markers remain; the missing score finally arrives: the group is closed, nothing more is emitted
        assertThat(storeSize(PairBuilderTopology.GROUPS_STORE)).isZero();
        assertThat(storeSize(PairBuilderTopology.CLOSED_GROUPS_STORE)).isEqualTo(2);
        scores.pipeInput("partial-p", score("partial", 2, 4, 2.0));
        assertThat(pairs.isEmpty()).isTrue();
        assertThat(metrics.snapshot().lateEvents()).isEqualTo(1);

        // markers are evicted after the retention, samples too: the stores are empty again
        driver.advanceWallClockTime(Duration.ofMinutes(50));
        assertThat(storeSize(PairBuilderTopology.CLOSED_GROUPS_STORE)).isEqualTo(2);
        assertThat(storeSize(PairBuilderTopology.SAMPLES_STORE)).isEqualTo(8);
        driver.advanceWallClockTime(Duration.ofMinutes(15));
        assertThat(storeSize(PairBuilderTopology.CLOSED_GROUPS_STORE)).isZero();
        assertThat(storeSize(PairBuilderTopology.SAMPLES_STORE)).isZero();
    }

    @Test
    void humanChoiceLongAfterTheSamplesBecomesAWeightedHumanPairWithinTheRetention() {
        start(PairBuilderConfig.defaults().withTimeouts(Duration.ofMinutes(5), Duration.ofHours(6), Duration.ofMinutes(10)));
        group("g", 0.1, 0.2, 0.3);
        pairs.readValuesToList();

        driver.advanceWallClockTime(Duration.ofHours(5));
        feedback.pipeInput("g-p", choice("fb-1", "g", 2, 0, FeedbackChoice.B));

        List<PreferencePair> out = pairs.readValuesToList();
        assertThat(out).hasSize(1);
        PreferencePair pair = out.get(0);
        assertThat(pair.getChosenSampleId() + ">" + pair.getRejectedSampleId()).isEqualTo("g-s0>g-s2");
        assertThat(pair.getSource()).isEqualTo(PairSource.HUMAN);
        assertThat(pair.getSelection()).isEqualTo("human");
        assertThat(pair.getJudge()).isEqualTo("alice");
        assertThat(pair.getWeight()).isEqualTo(2.0);
        assertThat(pair.getFeedbackId()).isEqualTo("fb-1");
        assertThat(pair.getPairId()).isEqualTo(PairIds.ofHumanChoice("fb-1"));
        assertThat(pair.getChosenText()).isEqualTo("g response 0");
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void humanFeedbackAfterTheRetentionIsDeadLetteredWithTheReason() {
        start(PairBuilderConfig.defaults().withTimeouts(Duration.ofMinutes(5), Duration.ofHours(6), Duration.ofMinutes(10)));
        group("g", 0.1, 0.2);
        pairs.readValuesToList();

        driver.advanceWallClockTime(Duration.ofHours(7));
        feedback.pipeInput("g-p", choice("fb-late", "g", 0, 1, FeedbackChoice.A));
        assertThat(pairs.isEmpty()).isTrue();
        assertThat(deadLetters.isEmpty()).isTrue(); // still waiting: the samples might yet arrive
        driver.advanceWallClockTime(Duration.ofMinutes(10).plusSeconds(5));

        assertThat(pairs.isEmpty()).isTrue();
        List<DeadLetter> dead = deadLetters.readValuesToList();
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).getErrorClass()).isEqualTo("UnknownSample");
        assertThat(dead.get(0).getReason()).isEqualTo("feedback fb-late names sample(s) [g-s0, g-s1] of prompt g-p that are "
                + "unknown or expired: not seen within feedback.wait PT10M after the feedback (samples are kept for "
                + "sample.retention PT6H)");
        assertThat(dead.get(0).getSourceTopic()).isEqualTo(topics.feedback().name());
        assertThat(dead.get(0).getSourceOffset()).isZero();
        assertThat(dead.get(0).getService()).isEqualTo("pair-builder");
        // the raw bytes are the feedback as it was written, decodable by the topic's serde
        byte[] raw = dead.get(0).getValue().array();
        assertThat(topics.feedback().valueSerde().deserializer().deserialize(topics.feedback().name(), raw).getFeedbackId())
                .isEqualTo("fb-late");
        assertThat(storeSize(PairBuilderTopology.PENDING_FEEDBACK_STORE)).isZero();
    }

    @Test
    void feedbackNamingAnUnknownSampleIsDeadLetteredNamingOnlyThatSample() {
        start(PairBuilderConfig.defaults());
        group("g", 0.1, 0.2);
        pairs.readValuesToList();
        HumanFeedback fb = choice("fb-unknown", "g", 0, 9, FeedbackChoice.A);
        feedback.pipeInput("g-p", fb);
        driver.advanceWallClockTime(Duration.ofMinutes(10).plusSeconds(5));

        assertThat(pairs.isEmpty()).isTrue();
        assertThat(deadLetterReasons()).containsExactly("UnknownSample: feedback fb-unknown names sample(s) [g-s9] of prompt "
                + "g-p that are unknown or expired: not seen within feedback.wait PT10M after the feedback (samples are kept "
                + "for sample.retention PT6H)");
    }

    @Test
    void humanFeedbackBeforeItsSamplesWaitsForThem() {
        start(PairBuilderConfig.defaults());
        feedback.pipeInput("early-p", choice("fb-early", "early", 0, 1, FeedbackChoice.A));
        assertThat(pairs.isEmpty()).isTrue();

        driver.advanceWallClockTime(Duration.ofMinutes(2));
        samples.pipeInput("early-p", sample("early", 0, 2, "first"));
        assertThat(pairs.isEmpty()).isTrue();
        samples.pipeInput("early-p", sample("early", 1, 2, "second"));

        assertThat(emitted()).containsExactly("early-s0>early-s1 human HUMAN");
        assertThat(storeSize(PairBuilderTopology.PENDING_FEEDBACK_STORE)).isZero();
        driver.advanceWallClockTime(Duration.ofMinutes(30));
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void humanTiesGiveNothingAndRatingsPairWithEachOther() {
        start(PairBuilderConfig.defaults());
        for (int i = 0; i < 3; i++) {
            samples.pipeInput("g-p", sample("g", i, 3, "answer " + i));
        }
        feedback.pipeInput("g-p", choice("fb-tie", "g", 0, 1, FeedbackChoice.TIE));
        feedback.pipeInput("g-p", rating("r-1", "g", 0, 2.0, "bob"));
        assertThat(pairs.isEmpty()).isTrue();
        feedback.pipeInput("g-p", rating("r-2", "g", 1, 4.0, "carol"));
        feedback.pipeInput("g-p", rating("r-3", "g", 2, 4.0, "dave"));

        List<PreferencePair> out = pairs.readValuesToList();
        assertThat(out.stream().map(p -> p.getChosenSampleId() + ">" + p.getRejectedSampleId() + " " + p.getJudge() + " " + p.getMargin()))
                .containsExactly("g-s1>g-s0 carol+bob 2.0", "g-s2>g-s0 dave+bob 2.0");
        assertThat(metrics.snapshot().ties()).isEqualTo(2); // the TIE choice, and r-3 vs r-2 (equal ratings)
        assertThat(metrics.snapshot().humanPairs()).isEqualTo(2);
    }

    @Test
    void badRecordsBecomeDeadLettersAndProcessingGoesOn() {
        start(PairBuilderConfig.defaults());
        var rawSamples = driver.createInputTopic(topics.samples().name(), new StringSerializer(), new ByteArraySerializer());
        rawSamples.pipeInput("x-p", "not avro".getBytes(StandardCharsets.UTF_8));
        samples.pipeInput("wrong-key", sample("k", 0, 2, "a"));
        samples.pipeInput("z-p", sample("z", 0, 5000, "a"));
        HumanFeedback neither = rating("fb-x", "g", 0, 1.0, "bob");
        neither.setRating(null);
        feedback.pipeInput("g-p", neither);
        group("ok", 0.0, 1.0);

        assertThat(deadLetterReasons()).hasSize(4).satisfiesExactly(
                r -> assertThat(r).startsWith("NotFramed: cannot decode: "),
                r -> assertThat(r).isEqualTo("InvalidRecord: record key 'wrong-key' differs from prompt_id 'k-p'; "
                        + "per-prompt topics are keyed by prompt_id"),
                r -> assertThat(r).isEqualTo("InvalidRecord: group_size 5000 is outside 1..1024 (max.group.size)"),
                r -> assertThat(r).isEqualTo("InvalidRecord: feedback must carry either sample_a_id + sample_b_id + choice, "
                        + "or sample_id + rating"));
        assertThat(emitted()).containsExactly("ok-s1>ok-s0 max-min REWARD_MODEL");
        assertThat(metrics.snapshot().deadLetters()).isEqualTo(4);
    }
}

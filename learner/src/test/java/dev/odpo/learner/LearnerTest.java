package dev.odpo.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.odpo.events.PreferencePair;
import dev.odpo.kafka.DeadLetters;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.model.TextTokenizer;
import dev.odpo.policy.PromptEncoding;
import dev.odpo.task.TaskTokenizer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import dev.odpo.kafka.config.ConfigException;
import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.ReferenceMode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The learner's plain logic: pair checks, staleness, the duplicate window, committable offsets, settings. */
class LearnerTest {

    static PreferencePair.Builder pair() {
        return PreferencePair.newBuilder().setPairId("pair-1").setPromptId("p1").setCreatedAt(Instant.now())
                .setPromptText("What is 2+2?").setChosenText("4").setRejectedText("5")
                .setChosenSampleId("s1").setRejectedSampleId("s2").setChosenReward(1).setRejectedReward(0)
                .setMargin(1).setChosenPolicyVersion(2).setRejectedPolicyVersion(2)
                .setSelection("max-min").setJudge("verifier");
    }

    @Test
    void aValidPairHasNoProblems() {
        assertThat(PairIntake.problems("p1", pair().build(), 100)).isEmpty();
    }

    @Test
    void pairsThatCannotBeTrainedOnAreRefusedWithTheReason() {
        assertThat(PairIntake.problems("p1", pair().setRejectedSampleId("s1").build(), 100))
                .containsExactly("chosen and rejected are the same sample s1");
        assertThat(PairIntake.problems("p1", pair().setMargin(Double.NaN).build(), 100))
                .containsExactly("margin is not a finite number: NaN");
        assertThat(PairIntake.problems("p1", pair().setWeight(0).build(), 100))
                .containsExactly("weight must be positive and finite, was 0.0");
        assertThat(PairIntake.problems("p1", pair().setChosenText("z".repeat(101)).build(), 100))
                .containsExactly("chosen_text is too long: 101 characters, at most 100 allowed");
        assertThat(PairIntake.problems("p1", pair().setPromptText("").build(), 100)).containsExactly("prompt_text is empty");
    }

    @Test
    void stalenessCountsVersionsBehindTheOlderSample() {
        PreferencePair p = pair().setChosenPolicyVersion(5).setRejectedPolicyVersion(3).build();
        assertThat(PairIntake.staleness(p, 7)).isEqualTo(4);
        assertThat(PairIntake.staleness(p, 2)).isZero();   // samples of a newer version: not stale
    }

    @Test
    void eachConsumedRecordIsBufferedDeadLetteredOrSkippedAsADuplicateOrStale(@TempDir Path dir) throws Exception {
        Topic<String, PreferencePair> topic = KafkaSettings.local("127.0.0.1:9", "mock://intake-test").topics().pairs();
        TaskTokenizer.write(dir);
        try (TextTokenizer tok = TextTokenizer.load(dir)) {
            PromptEncoding enc = PromptEncoding.of(tok);
            PairIntake intake = new PairIntake(topic, 100, () -> 40, s -> s > 1);
            java.util.function.Function<PreferencePair, ConsumerRecord<byte[], byte[]>> record = p -> new ConsumerRecord<>(
                    topic.name(), 2, 17, topic.keySerde().serializer().serialize(topic.name(), p.getPromptId()),
                    topic.valueSerde().serializer().serialize(topic.name(), p));

            PairIntake.Outcome ok = intake.take(record.apply(pair().build()), enc, 3, id -> false);
            assertThat(ok.kind()).isEqualTo(PairIntake.Outcome.Kind.ACCEPTED);
            assertThat(ok.pair().staleness()).isEqualTo(1);
            assertThat(ok.pair().partition()).isEqualTo(new TopicPartition(topic.name(), 2));
            assertThat(ok.pair().encoded().prompt()).containsExactly(enc.prompt("What is 2+2?"));
            assertThat(ok.pair().encoded().chosen()).containsExactly(enc.response("4"));
            assertThat(ok.pair().lineage()).isEqualTo("pair-1\t" + topic.name() + "-2@17");

            assertThat(intake.take(record.apply(pair().build()), enc, 3, "pair-1"::equals).kind())
                    .isEqualTo(PairIntake.Outcome.Kind.DUPLICATE);
            assertThat(intake.take(record.apply(pair().build()), enc, 4, id -> false).kind())
                    .isEqualTo(PairIntake.Outcome.Kind.STALE);
            PairIntake.Outcome tooLong = intake.take(record.apply(pair().setChosenText("x".repeat(60)).build()), enc, 3,
                    id -> false);
            assertThat(tooLong.kind()).isEqualTo(PairIntake.Outcome.Kind.REJECTED);
            assertThat(tooLong.errorClass()).isEqualTo(DeadLetters.INVALID_RECORD);
            PairIntake.Outcome garbage = intake.take(new ConsumerRecord<>(topic.name(), 0, 1, "p1".getBytes(),
                    new byte[] {1, 2, 3}), enc, 3, id -> false);
            assertThat(garbage.kind()).isEqualTo(PairIntake.Outcome.Kind.REJECTED);
            assertThat(garbage.errorClass()).isEqualTo("NotFramed");
        }
    }

    @Test
    void theDuplicateWindowForgetsTheOldestAndSurvivesASaveAndLoad(@TempDir Path dir) throws Exception {
        RecentPairIds r = new RecentPairIds(3);
        for (String id : List.of("a", "b", "c", "d")) {
            r.add(id);
        }
        assertThat(r.contains("a")).isFalse();
        assertThat(r.view()).containsExactly("b", "c", "d");
        r.save(dir.resolve("ids.txt"));
        RecentPairIds back = RecentPairIds.load(dir.resolve("ids.txt"), 2);
        assertThat(back.view()).containsExactly("c", "d");
    }

    @Test
    void offsetsAreNeverCommittedPastAPairStillWaitingToBeTrained() {
        TopicPartition p0 = new TopicPartition("pairs", 0);
        TopicPartition p1 = new TopicPartition("pairs", 1);
        PendingOffsets o = new PendingOffsets();
        o.hold(p0, 5);        // buffered
        o.seen(p0, 6);        // skipped (stale) after it
        o.seen(p1, 10);       // dead-lettered
        assertThat(o.committable()).isEqualTo(Map.of(p0, new OffsetAndMetadata(5), p1, new OffsetAndMetadata(11)));
        o.release(p0, 5);     // trained
        assertThat(o.committable()).isEqualTo(Map.of(p0, new OffsetAndMetadata(7), p1, new OffsetAndMetadata(11)));
    }

    @Test
    void weightsThatAreNotFiniteAreNamedSoTheyAreNeverPublished() {
        try (LlamaModel m = LlamaModel.random(LearnerFixture.tinyConfig(), Device.cpu(), 1)) {
            assertThat(LearnerSnapshot.nonFiniteWeights(m)).isEmpty();
            var w = m.parameters().get("model.layers.0.mlp.down_proj.weight");
            float[] v = w.toFloatArray();
            v[7] = Float.POSITIVE_INFINITY;
            w.set(v);
            assertThat(LearnerSnapshot.nonFiniteWeights(m)).containsExactly("model.layers.0.mlp.down_proj.weight");
        }
    }

    @Test
    void defaultsMakeAnOnlineSigmoidLearnerWithAnInitialReference() {
        LearnerConfig c = LearnerConfig.from(ConfigValues.load(LearnerConfig.SETTINGS, Map.of(), null));
        assertThat(c.mode()).isEqualTo(LearnerConfig.Mode.ONLINE);
        assertThat(c.dpo().loss().kind().label()).isEqualTo("sigmoid");
        assertThat(c.dpo().reference()).isEqualTo(ReferenceMode.INITIAL);
        assertThat(c.transactionalId()).isEqualTo("odpo-learner-policy");
        assertThat(c.tooStale(c.maxStaleness() + 1)).isTrue();
        assertThat(c.tooStale(c.maxStaleness())).isFalse();
    }

    @Test
    void anUnknownLossReferenceOrModeFailsAtStartNamingTheSettingAndTheChoices() {
        assertThatThrownBy(() -> ConfigValues.load(LearnerConfig.SETTINGS, Map.of("ODPO_LEARNER_LOSS", "kto"), null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContainingAll("learner.loss", "'kto'", "sigmoid, ipo, hinge");
        assertThatThrownBy(() -> ConfigValues.load(LearnerConfig.SETTINGS, Map.of("ODPO_LEARNER_REFERENCE", "sft"), null))
                .hasMessageContainingAll("learner.reference", "initial, previous");
        assertThatThrownBy(() -> ConfigValues.load(LearnerConfig.SETTINGS, Map.of("ODPO_LEARNER_MODE", "batch"), null))
                .hasMessageContainingAll("learner.mode", "online, iterative");
        assertThatThrownBy(() -> LearnerConfig.from(ConfigValues.load(LearnerConfig.SETTINGS,
                Map.of("ODPO_LEARNER_LOSS", "ipo", "ODPO_LEARNER_LABEL_SMOOTHING", "0.1"), null)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("sigmoid");
    }

    @Test
    void helpListsTheLearnerSettings() {
        assertThat(Main.LAUNCHER.help()).contains("learner.loss", "learner.reference", "learner.max.staleness",
                "checkpoint.dir");
    }
}

package dev.odpo.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DpoTrainerTest {

  private static final LlamaConfig TINY = LlamaConfig.tiny(32, 32, 2, 4, 2);

  /** Eight fixed pairs over random tokens: the policy has no prior preference between their responses. */
  static List<EncodedPair> pairs() {
    Random rng = new Random(11);
    List<EncodedPair> out = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      out.add(new EncodedPair(rng.ints(3 + rng.nextInt(3), 1, 32).toArray(), rng.ints(2 + rng.nextInt(3), 1, 32).toArray(),
          rng.ints(2 + rng.nextInt(3), 1, 32).toArray(), 1.0));
    }
    return out;
  }

  static DpoTrainer.Options options(String loss, double beta, ReferenceMode reference) {
    return new DpoTrainer.Options(DpoLoss.parse(loss, beta, 0), reference,
        new TrainingStep.Options(AdamW.Options.of(5e-3), LearningRateSchedule.constantAfterWarmup(5e-3, 2), 1));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sigmoid", "ipo", "hinge"})
  void trainingRaisesTheChosenMinusRejectedLogRatioAgainstTheReference(String loss) {
    List<EncodedPair> pairs = pairs();
    try (LlamaModel policy = LlamaModel.random(TINY, Device.cpu(), 1);
         LlamaModel reference = policy.copy();
         DpoTrainer dpo = new DpoTrainer(policy, reference, 0, options(loss, 0.1, ReferenceMode.INITIAL))) {
      double[] before = dpo.logRatioMargins(pairs);
      assertThat(Arrays.stream(before).boxed().toList()).allSatisfy(r -> assertThat(r).isCloseTo(0, within(1e-4)));   // π_θ = π_ref
      DpoTrainer.StepMetrics first = dpo.step(pairs);
      assertThat(first.klEstimate()).isCloseTo(0, within(1e-4));
      assertThat(first.loss()).isCloseTo(DpoLoss.parse(loss, 0.1, 0).value(0), within(1e-4));
      DpoTrainer.StepMetrics last = first;
      for (int i = 0; i < 25; i++) {
        last = dpo.step(pairs);
      }
      double[] after = dpo.logRatioMargins(pairs);
      assertThat(Arrays.stream(after).average().orElseThrow()).as("mean ρ after 26 steps").isGreaterThan(2.0);
      assertThat(Arrays.stream(after).boxed().toList()).allSatisfy(r -> assertThat(r).isPositive());
      assertThat(last.rewardAccuracy()).isEqualTo(1.0);
      assertThat(last.rewardMargin()).isCloseTo(last.chosenReward() - last.rejectedReward(), within(1e-6));
      assertThat(last.loss()).isLessThan(first.loss());
      assertThat(last.gradientNorm()).isFinite().isNotNegative();   // hinge: zero once every margin is met
    }
  }

  @Test
  void theInitialReferenceNeverMovesAndIsNeverDifferentiated() {
    List<EncodedPair> pairs = pairs();
    try (LlamaModel policy = LlamaModel.random(TINY, Device.cpu(), 2);
         LlamaModel reference = policy.copy();
         DpoTrainer dpo = new DpoTrainer(policy, reference, 0, options("sigmoid", 0.1, ReferenceMode.INITIAL))) {
      Map<String, float[]> pi0 = weights(reference);
      for (int i = 0; i < 5; i++) {
        dpo.step(pairs);
      }
      dpo.onPublished();
      assertThat(Arrays.stream(dpo.logRatioMargins(pairs)).average().orElseThrow()).isPositive();
      reference.parameters().forEach((k, p) -> {
        assertThat(p.hasGradient()).as(k + " records no gradient").isFalse();
        assertThat(p.toFloatArray()).as(k).containsExactly(pi0.get(k));
      });
    }
  }

  @Test
  void aPreviousReferenceTakesThePublishedWeights() {
    List<EncodedPair> pairs = pairs();
    try (LlamaModel policy = LlamaModel.random(TINY, Device.cpu(), 3);
         LlamaModel reference = policy.copy();
         DpoTrainer dpo = new DpoTrainer(policy, reference, 0, options("sigmoid", 0.1, ReferenceMode.PREVIOUS))) {
      for (int i = 0; i < 5; i++) {
        dpo.step(pairs);
      }
      assertThat(Arrays.stream(dpo.logRatioMargins(pairs)).average().orElseThrow()).isGreaterThan(0.1);
      dpo.onPublished();
      // π_ref is now the published policy: every margin is measured from zero again
      assertThat(Arrays.stream(dpo.logRatioMargins(pairs)).boxed().toList()).allSatisfy(r -> assertThat(r).isCloseTo(0, within(1e-4)));
      assertThat(dpo.step(pairs).klEstimate()).isCloseTo(0, within(1e-4));
      dpo.step(pairs);
      assertThat(Arrays.stream(dpo.logRatioMargins(pairs)).average().orElseThrow()).isPositive();
    }
  }

  @Test
  void aNonFiniteWeightSkipsTheStepAndLeavesThePolicyAlone() {
    List<EncodedPair> pairs = new ArrayList<>(pairs());
    EncodedPair p = pairs.get(0);
    pairs.set(0, new EncodedPair(p.prompt(), p.chosen(), p.rejected(), 1e300));   // +inf as float
    try (LlamaModel policy = LlamaModel.random(TINY, Device.cpu(), 4);
         LlamaModel reference = policy.copy();
         DpoTrainer dpo = new DpoTrainer(policy, reference, 0, options("sigmoid", 0.1, ReferenceMode.INITIAL))) {
      Map<String, float[]> before = weights(policy);
      DpoTrainer.StepMetrics m = dpo.step(pairs);
      assertThat(m.status()).isEqualTo(TrainingStep.Status.SKIPPED_LOSS);
      assertThat(dpo.training().skipped()).isEqualTo(1);
      policy.parameters().forEach((k, w) -> assertThat(w.toFloatArray()).as(k).containsExactly(before.get(k)));
    }
  }

  @Test
  void optimizerStateRoundTripsSoTrainingResumesBitIdentically(@TempDir Path dir) throws Exception {
    List<EncodedPair> pairs = pairs();
    try (LlamaModel a = LlamaModel.random(TINY, Device.cpu(), 5);
         LlamaModel refA = a.copy();
         DpoTrainer dpoA = new DpoTrainer(a, refA, 0, options("sigmoid", 0.1, ReferenceMode.INITIAL))) {
      for (int i = 0; i < 3; i++) {
        dpoA.step(pairs);
      }
      a.save(dir.resolve("model"));
      AdamWState.save(dpoA.training().optimizer(), dir.resolve("optimizer"));
      try (LlamaModel b = LlamaModel.load(dir.resolve("model"), Device.cpu());
           DpoTrainer dpoB = new DpoTrainer(b, refA.copy(), 0, options("sigmoid", 0.1, ReferenceMode.INITIAL))) {
        AdamWState.load(dpoB.training().optimizer(), dir.resolve("optimizer"));
        assertThat(dpoB.training().updates()).isEqualTo(3);
        dpoA.step(pairs);
        dpoB.step(pairs);
        Map<String, float[]> wa = weights(a);
        weights(b).forEach((k, w) -> assertThat(w).as(k).containsExactly(wa.get(k)));
        dpoB.reference().close();
      }
    }
  }

  private static Map<String, float[]> weights(LlamaModel m) {
    Map<String, float[]> out = new LinkedHashMap<>();
    m.parameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }
}

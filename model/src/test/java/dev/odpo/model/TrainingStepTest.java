package dev.odpo.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainingStepTest {

  private static final LlamaConfig TINY = LlamaConfig.tiny(24, 16, 1, 2, 1);
  private static final List<int[]> ROWS = List.of(new int[] {1, 5, 7, 9}, new int[] {2, 4, 6, 8},
      new int[] {3, 3, 10, 11}, new int[] {12, 13, 14, 15});

  @Test
  void scheduleWarmsUpLinearlyThenDecaysByCosineToItsFloor() {
    LearningRateSchedule s = new LearningRateSchedule(1e-3, 10, 110, 0.1);
    assertThat(s.at(1)).isCloseTo(1e-4, within(1e-12));
    assertThat(s.at(10)).isCloseTo(1e-3, within(1e-12));
    assertThat(s.at(60)).isCloseTo(1e-3 * (0.1 + 0.9 * 0.5), within(1e-12));   // half-way: cos(π/2) = 0
    assertThat(s.at(110)).isCloseTo(1e-4, within(1e-12));
    assertThat(s.at(500)).isCloseTo(1e-4, within(1e-12));
    LearningRateSchedule open = LearningRateSchedule.constantAfterWarmup(1e-3, 4);
    assertThat(open.at(2)).isCloseTo(5e-4, within(1e-12));
    assertThat(open.at(1_000_000)).isEqualTo(1e-3);
    assertThatThrownBy(() -> new LearningRateSchedule(1e-3, 0, 10, 0)).hasMessageContaining("floor");
  }

  @Test
  void twoAccumulatedHalvesMakeTheSameUpdateAsTheWholeBatch() {
    Map<String, float[]> whole;
    try (LlamaModel m = LlamaModel.random(TINY, Device.cpu(), 3);
         TrainingStep step = new TrainingStep(m, options(1))) {
      TrainingStep.Outcome o = run(step, m, ROWS);
      assertThat(o.status()).isEqualTo(TrainingStep.Status.UPDATED);
      whole = weights(m);
    }
    try (LlamaModel m = LlamaModel.random(TINY, Device.cpu(), 3);
         TrainingStep step = new TrainingStep(m, options(2))) {
      assertThat(run(step, m, ROWS.subList(0, 2)).status()).isEqualTo(TrainingStep.Status.ACCUMULATED);
      assertThat(step.updates()).isZero();
      assertThat(run(step, m, ROWS.subList(2, 4)).status()).isEqualTo(TrainingStep.Status.UPDATED);
      assertThat(step.updates()).isEqualTo(1);
      weights(m).forEach((k, w) -> {
        float[] expect = whole.get(k);
        for (int i = 0; i < w.length; i++) {
          assertThat((double) w[i]).as(k).isCloseTo(expect[i], within(2e-6));
        }
      });
    }
  }

  @Test
  void flushAppliesAnUnfinishedAccumulation() {
    try (LlamaModel m = LlamaModel.random(TINY, Device.cpu(), 3);
         TrainingStep step = new TrainingStep(m, options(4))) {
      assertThat(step.flush()).isNull();
      Map<String, float[]> before = weights(m);
      run(step, m, ROWS);
      assertThat(step.pendingMicroBatches()).isEqualTo(1);
      assertThat(step.flush().status()).isEqualTo(TrainingStep.Status.UPDATED);
      assertThat(step.pendingMicroBatches()).isZero();
      assertThat(step.updates()).isEqualTo(1);
      assertThat(weights(m).get("model.norm.weight")).isNotEqualTo(before.get("model.norm.weight"));
    }
  }

  @Test
  void aNonFiniteLossIsSkippedWithoutTouchingTheWeights() {
    try (LlamaModel m = LlamaModel.random(TINY, Device.cpu(), 4);
         TrainingStep step = new TrainingStep(m, options(1))) {
      Map<String, float[]> before = weights(m);
      TrainingStep.Outcome o;
      try (NDManager work = m.newStepManager()) {
        o = step.run(work, w -> m.parameters().get("model.norm.weight").sum().mul(w.create(Float.NaN)));
      }
      assertThat(o.status()).isEqualTo(TrainingStep.Status.SKIPPED_LOSS);
      assertThat(step.skipped()).isEqualTo(1);
      assertThat(step.updates()).isZero();
      assertWeightsEqual(m, before);
      // the next, finite batch trains normally
      assertThat(run(step, m, ROWS).status()).isEqualTo(TrainingStep.Status.UPDATED);
    }
  }

  @Test
  void aNonFiniteGradientSkipsTheUpdateAndDropsTheGradients() {
    try (LlamaModel m = LlamaModel.random(TINY, Device.cpu(), 5);
         TrainingStep step = new TrainingStep(m, options(1))) {
      Map<String, float[]> before = weights(m);
      TrainingStep.Outcome o;
      try (NDManager work = m.newStepManager()) {
        // sqrt(w − w) is 0, but its gradient is ∞·0 = NaN
        o = step.run(work, w -> {
          NDArray p = m.parameters().get("model.norm.weight");
          return p.sub(p).sqrt().sum();
        });
      }
      assertThat(o.loss()).isZero();
      assertThat(o.status()).isEqualTo(TrainingStep.Status.SKIPPED_GRADIENT);
      assertThat(step.updates()).isZero();
      assertWeightsEqual(m, before);
      TrainingStep.Outcome next = run(step, m, ROWS);
      assertThat(next.status()).isEqualTo(TrainingStep.Status.UPDATED);
      assertThat(next.gradientNorm()).isFinite();
    }
  }

  private static TrainingStep.Options options(int accumulation) {
    // no clipping: a clipped half-batch norm would differ from the whole batch's
    return new TrainingStep.Options(AdamW.Options.of(1e-2).withMaxGradNorm(0),
        LearningRateSchedule.constantAfterWarmup(1e-2, 0), accumulation);
  }

  /** Mean NLL per row of whole sequences. */
  private static TrainingStep.Outcome run(TrainingStep step, LlamaModel m, List<int[]> rows) {
    try (NDManager work = m.newStepManager()) {
      TokenBatch batch = TokenBatch.ofSequences(work, rows, 0);
      return step.run(work, w -> SequenceLogProbs.of(m.logits(batch.inputIds(), batch.attentionMask()), batch)
          .summed().neg().mean());
    }
  }

  private static Map<String, float[]> weights(LlamaModel m) {
    Map<String, float[]> out = new java.util.LinkedHashMap<>();
    m.parameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }

  private static void assertWeightsEqual(LlamaModel m, Map<String, float[]> expected) {
    weights(m).forEach((k, w) -> assertThat(w).as(k).containsExactly(expected.get(k)));
  }
}

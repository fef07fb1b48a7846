package dev.odpo.study;

import ai.djl.Device;
import dev.odpo.evaluator.EvaluationSpec;
import dev.odpo.evaluator.HeldOutEvaluation;
import dev.odpo.evaluator.Rollouts;
import dev.odpo.events.PreferencePair;
import dev.odpo.events.Sample;
import dev.odpo.generator.GroupSampler;
import dev.odpo.generator.SamplingPlan;
import dev.odpo.generator.ServingPolicy;
import dev.odpo.model.AdamW;
import dev.odpo.model.DpoLoss;
import dev.odpo.model.DpoTrainer;
import dev.odpo.model.EncodedPair;
import dev.odpo.model.LearningRateSchedule;
import dev.odpo.model.SamplingOptions;
import dev.odpo.model.TrainingStep;
import dev.odpo.pairs.PairSelector;
import dev.odpo.pairs.ScoredSample;
import dev.odpo.pairs.ScorerChoice;
import dev.odpo.policy.Policy;
import dev.odpo.policy.PromptEncoding;
import dev.odpo.policy.ScoringModel;
import dev.odpo.task.GoldReward;
import dev.odpo.task.Split;
import dev.odpo.task.TaskPrompt;
import dev.odpo.task.TaskSuite;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One (arm, seed) run of the study: the learning loop in one process, without Kafka, built from the services'
 * own parts — the generator's {@link GroupSampler} (vanilla or PILAF draws), the task's verifier and the proxy
 * reward model as the scorer, the pair-builder's {@link PairSelector}, the learner's {@link DpoTrainer} — and
 * measured on held-out prompts by the evaluator's {@link HeldOutEvaluation}, with π0 as the KL reference, so
 * the figures mean what the demo's evaluation reports mean.
 *
 * <p>Every arm trains on exactly {@code pairs} labeled pairs in steps of {@link StudyArm#BATCH}; only how the
 * pairs are gathered and used differs.
 *
 * @param pi0         π0's model directory
 * @param rewardModel the proxy reward model's directory
 * @param pairs       labeled pairs per run
 * @param evalPoints  evaluations per run (after 1/k, 2/k, … of the pairs; the last is the result)
 * @param evalPrompts held-out prompts per evaluation
 * @param beta        β of J = gold reward − β·KL(π_θ‖π0), the same for every arm
 */
public record StudyRun(Path pi0, Path rewardModel, int pairs, int evalPoints, int evalPrompts, double beta) {

    /** Longest response, in tokens (the demo's generator and evaluator). */
    public static final int MAX_NEW_TOKENS = 48;
    /** Responses decoded together at most. */
    private static final int ROWS_PER_DECODE = 128;

    public StudyRun {
        if (pairs < StudyArm.BATCH || evalPoints < 1 || evalPrompts < 1) {
            throw new IllegalArgumentException("pairs must be >= " + StudyArm.BATCH + " and evaluation points and prompts"
                    + " >= 1, got " + pairs + ", " + evalPoints + ", " + evalPrompts);
        }
    }

    /** The held-out evaluation of a run with {@code seed}: the same prompts and random numbers for every arm. */
    public EvaluationSpec evaluation(long seed) {
        return new EvaluationSpec(evalPrompts, seed, 1.0, MAX_NEW_TOKENS, 64, beta);
    }

    /** Runs {@code arm} with {@code seed}; {@code progress} hears one line per evaluation. */
    public RunResult run(StudyArm arm, long seed, Consumer<String> progress) throws IOException {
        long t0 = System.nanoTime();
        try (Policy policy = Policy.load(pi0, Device.cpu());
             Policy initial = Policy.load(pi0, Device.cpu());
             ScoringModel proxy = ScoringModel.load(rewardModel, Device.cpu())) {
            HeldOutEvaluation evaluation = new HeldOutEvaluation(evaluation(seed), proxy);
            if (!arm.trains()) {
                RunResult.Point p = measure(evaluation, policy, initial, 0);
                return new RunResult(arm.name(), seed, 0, 0, 0, 0, seconds(t0), List.of(p));
            }
            try (DpoTrainer trainer = new DpoTrainer(policy.model(), policy.model().copy(), policy.tokenizer().padId(),
                    trainerOptions(arm))) {
                Loop loop = new Loop(arm, seed, policy, initial, trainer, proxy);
                List<RunResult.Point> trajectory = new ArrayList<>();
                int nextEval = 1;
                int batches = (pairs + StudyArm.BATCH - 1) / StudyArm.BATCH;
                int rounds = arm.rounds() == 0 ? batches : arm.rounds();
                for (int r = 0; r < rounds; r++) {
                    // whole batches per round, so every arm makes the same optimizer steps of the same size
                    int target = Math.min(pairs, (int) ((long) batches * (r + 1) / rounds) * StudyArm.BATCH)
                            - loop.pairsTrained;
                    List<EncodedPair> gathered = loop.gather(target);
                    Collections.shuffle(gathered, loop.rng);
                    for (int from = 0; from < gathered.size(); from += StudyArm.BATCH) {
                        loop.step(gathered.subList(from, Math.min(gathered.size(), from + StudyArm.BATCH)));
                        while (nextEval <= evalPoints && loop.pairsTrained >= (long) pairs * nextEval / evalPoints) {
                            RunResult.Point p = measure(evaluation, policy, initial, loop.pairsTrained);
                            trajectory.add(p);
                            progress.accept(String.format(java.util.Locale.ROOT,
                                    "%s seed %d: %d pairs, gold %.3f, KL %.2f, length %.1f, proxy %.2f (%.0f s)",
                                    arm.name(), seed, p.pairs(), p.goldReward(), p.kl(), p.length(), p.proxyReward(),
                                    seconds(t0)));
                            nextEval++;
                        }
                    }
                }
                return new RunResult(arm.name(), seed, loop.pairsTrained, loop.steps, loop.prompts, loop.samples,
                        seconds(t0), trajectory);
            }
        }
    }

    private static DpoTrainer.Options trainerOptions(StudyArm arm) {
        return new DpoTrainer.Options(new DpoLoss(arm.loss(), arm.beta(), 0), arm.reference(),
                new TrainingStep.Options(AdamW.Options.of(StudyArm.LEARNING_RATE).withMaxGradNorm(1.0),
                        LearningRateSchedule.constantAfterWarmup(StudyArm.LEARNING_RATE, StudyArm.WARMUP_STEPS), 1));
    }

    private static RunResult.Point measure(HeldOutEvaluation evaluation, Policy policy, Policy initial, int pairs) {
        Rollouts own = evaluation.rollouts(policy);
        return RunResult.Point.of(pairs, evaluation.measure(policy, own, initial, null));
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** The state of one run: the prompt stream, the random source and the counters. */
    private final class Loop {
        final StudyArm arm;
        final Random rng;
        final Policy policy;
        final DpoTrainer trainer;
        final ScoringModel proxy;
        final ServingPolicy serving;
        final SamplingPlan plan;
        final PairSelector selector;
        final Supplier<TaskPrompt> stream;
        final GoldReward gold = new GoldReward();
        int pairsTrained;
        int steps;
        int prompts;
        int samples;

        Loop(StudyArm arm, long seed, Policy policy, Policy initial, DpoTrainer trainer, ScoringModel proxy) {
            this.arm = arm;
            this.rng = new Random(seed);
            this.policy = policy;
            this.trainer = trainer;
            this.proxy = proxy;
            // PILAF's π⁺/π⁻ mix π_θ with the learner's reference: π0, or the weights at the last publish
            Policy reference = new Policy("reference", 0, pi0, trainer.reference(), policy.tokenizer(), policy.encoding());
            this.serving = new ServingPolicy(policy, reference, 0L);
            this.plan = new SamplingPlan(arm.n(), SamplingOptions.sampled(MAX_NEW_TOKENS, 1.0, 0, 1.0), arm.sampler(),
                    arm.beta(), seed);
            this.selector = new PairSelector(arm.selection(), 0, arm.lengthPenalty(), seed);
            this.stream = TaskSuite.standard().stream(Split.RL, seed);
        }

        /** {@code target} labeled pairs from the policy as it is now (fewer only if the target is 0). */
        List<EncodedPair> gather(int target) {
            List<EncodedPair> out = new ArrayList<>();
            int perPrompt = arm.selection() == dev.odpo.pairs.SelectionRule.PILAF ? arm.n() / 2 : 1;
            while (out.size() < target) {
                int need = target - out.size();
                int count = Math.max(1, Math.min(ROWS_PER_DECODE / arm.n(), (need + perPrompt - 1) / perPrompt));
                List<TaskPrompt> batch = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    batch.add(stream.get());
                }
                out.addAll(label(batch));
            }
            return new ArrayList<>(out.subList(0, target));
        }

        /** Samples the prompts' groups, scores them and builds the pairs, as generator → scorer → pair-builder do. */
        private List<EncodedPair> label(List<TaskPrompt> batch) {
            PromptEncoding enc = policy.encoding();
            List<int[]> ids = batch.stream().map(p -> enc.prompt(p.text())).toList();
            List<List<GroupSampler.Response>> groups = GroupSampler.sample(serving, plan, ids, rng);
            List<String> questions = new ArrayList<>();
            List<String> responses = new ArrayList<>();
            for (int p = 0; p < batch.size(); p++) {
                for (GroupSampler.Response r : groups.get(p)) {
                    questions.add(batch.get(p).text());
                    responses.add(r.generation().text());
                }
            }
            float[] proxyScores = arm.proxyWeight() == 0 ? new float[questions.size()] : proxy.score(questions, responses);
            prompts += batch.size();
            samples += questions.size();
            List<EncodedPair> out = new ArrayList<>();
            int row = 0;
            for (int p = 0; p < batch.size(); p++) {
                TaskPrompt prompt = batch.get(p);
                String groupId = "p" + prompts + "-" + p;
                List<ScoredSample> scored = new ArrayList<>();
                double[] golds = new double[groups.get(p).size()];
                for (GroupSampler.Response r : groups.get(p)) {
                    String text = r.generation().text();
                    golds[scored.size()] = gold.score(prompt, text).reward();
                    double reward = arm.proxyWeight() * proxyScores[row++] + arm.verifierWeight() * golds[scored.size()];
                    scored.add(new ScoredSample(sample(groupId, prompt, r, groups.get(p).size()),
                            new ScorerChoice.Reward(reward, List.of(), "study", dev.odpo.events.PairSource.OTHER),
                            text.codePointCount(0, text.length())));
                }
                for (PreferencePair pair : selector.select(groupId, scored, Instant.EPOCH).pairs()) {
                    out.add(encode(prompt, pair.getChosenText(), pair.getRejectedText(), 1.0));
                }
                if (arm.feedbackRate() > 0 && rng.nextDouble() < arm.feedbackRate()) {
                    humanChoice(prompt, scored, golds).ifPresent(out::add);
                }
            }
            return out;
        }

        /** A simulated annotator compares two responses drawn at random and prefers the higher gold reward. */
        private java.util.Optional<EncodedPair> humanChoice(TaskPrompt prompt, List<ScoredSample> scored, double[] golds) {
            int a = rng.nextInt(scored.size());
            int b = (a + 1 + rng.nextInt(scored.size() - 1)) % scored.size();
            String ta = scored.get(a).sample().getResponseText();
            String tb = scored.get(b).sample().getResponseText();
            if (golds[a] == golds[b] || ta.equals(tb)) {
                return java.util.Optional.empty();   // the annotator sees no difference: no pair
            }
            return java.util.Optional.of(golds[a] > golds[b] ? encode(prompt, ta, tb, arm.feedbackWeight())
                    : encode(prompt, tb, ta, arm.feedbackWeight()));
        }

        private EncodedPair encode(TaskPrompt prompt, String chosen, String rejected, double weight) {
            PromptEncoding enc = policy.encoding();
            return new EncodedPair(enc.prompt(prompt.text()), enc.response(chosen), enc.response(rejected), weight);
        }

        private Sample sample(String groupId, TaskPrompt prompt, GroupSampler.Response r, int groupSize) {
            return Sample.newBuilder()
                    .setSampleId(groupId + "-s" + r.draw().indexInGroup())
                    .setPromptId(prompt.id())
                    .setGroupId(groupId)
                    .setCreatedAt(Instant.EPOCH)
                    .setPromptText(prompt.text())
                    .setResponseText(r.generation().text())
                    .setGroupSize(groupSize)
                    .setIndexInGroup(r.draw().indexInGroup())
                    .setPolicyName("study")
                    .setPolicyVersion(steps / StudyArm.PUBLISH_STEPS)
                    .setSampler(r.draw().sampler())
                    .setPairSlot(r.draw().pairSlot())
                    .setLogprob(r.generation().logProb())
                    .setResponseTokenIds(List.of())
                    .setFinishReason(r.generation().finishReason())
                    .build();
        }

        /** One optimizer step; every {@link StudyArm#PUBLISH_STEPS} steps the policy counts as published. */
        void step(List<EncodedPair> batch) {
            trainer.step(batch);
            steps++;
            pairsTrained += batch.size();
            if (steps % StudyArm.PUBLISH_STEPS == 0) {
                trainer.onPublished();
            }
        }
    }
}

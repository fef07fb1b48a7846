package dev.odpo.task;

import dev.odpo.policy.PromptEncoding;
import ai.djl.Device;
import dev.odpo.model.Decoder;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.RewardModel;
import dev.odpo.model.SamplingOptions;
import dev.odpo.model.TextTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SFT, π0 sampling and reward-model training on tiny models and budgets (a few minutes on 2 cores).
 * One tiny π0 is trained once for the class, through the same cache path the demo uses.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WarmStartAndRewardModelTest {
    /** A tiny π0: D=48, 2 layers, 2000 demonstrations, 200 steps of 16. */
    static final WarmStart.Spec TINY = new WarmStart.Spec(48, 2, 4, 2000, TaskSuite.DEFAULT_SEED,
            DemonstrationMix.standard(), new SftTrainer.Options(200, 16, 4e-3, 10, 7), 7);

    Path dataDir;
    Path pi0;
    SftTrainer.Result sft;
    TextTokenizer tok;
    LlamaModel policy;
    final List<TaskPrompt> eval = TaskSuite.standard().evaluationSet(96);

    @BeforeAll
    void trainTinyPi0(@TempDir Path dir) throws IOException {
        dataDir = dir;
        List<Double> losses = new ArrayList<>();
        pi0 = WarmStart.ensure(dataDir, TINY, (step, total, loss) -> losses.add(loss));
        sft = new SftTrainer.Result(losses, 0);
        tok = TextTokenizer.load(pi0);
        policy = LlamaModel.load(pi0, Device.cpu());
    }

    @AfterAll
    void close() {
        if (policy != null) {
            policy.close();
        }
        if (tok != null) {
            tok.close();
        }
    }

    @Test
    void sftLowersLossAndRaisesGoldAccuracyOverAnUntrainedModel() {
        assertThat(sft.losses()).hasSize(200);
        assertThat(sft.lastMean(20)).isLessThan(sft.firstMean(5) * 0.5);
        GoldEvaluation.Report trained = GoldEvaluation.run(new Decoder(policy, tok), tok, eval,
                SamplingOptions.greedy(40), new Random(1), 48);
        GoldEvaluation.Report untrained;
        try (LlamaModel random = LlamaModel.random(TINY.modelConfig(), Device.cpu(), 7)) {
            untrained = GoldEvaluation.run(new Decoder(random, tok), tok, eval, SamplingOptions.greedy(40), new Random(1), 48);
        }
        System.out.println("untrained: " + untrained.summary());
        System.out.println("tiny pi0, greedy: " + trained.summary());
        assertThat(trained.meanReward()).isGreaterThan(untrained.meanReward());
        assertThat(trained.accuracy()).isGreaterThan(untrained.accuracy()).isGreaterThanOrEqualTo(0.05);
        // it learned the answer format: most greedy answers are well-formed, the untrained model's are not
        assertThat(trained.verdicts().getOrDefault(GoldVerdict.MALFORMED, 0)).isLessThan(eval.size() / 2);
        assertThat(untrained.verdicts().getOrDefault(GoldVerdict.MALFORMED, 0)).isGreaterThan(eval.size() / 2);
    }

    @Test
    void pi0AtTemperatureOneIsDiverse() {
        Decoder gen = new Decoder(policy, tok);
        GoldEvaluation.Report t1 = GoldEvaluation.run(gen, tok, eval, SamplingOptions.sampled(40, 1.0, 0, 1.0),
                new Random(2), 48);
        System.out.println("tiny pi0, T=1: " + t1.summary());
        // several kinds of behaviour across prompts, not one mode
        assertThat(t1.verdicts().keySet()).hasSizeGreaterThanOrEqualTo(3);
        // and several different answers to one and the same prompt
        int[] prompt = PromptEncoding.of(tok).prompt(eval.get(0).text());
        Set<String> answers = new HashSet<>();
        gen.generate(Collections.nCopies(12, prompt), SamplingOptions.sampled(40, 1.0, 0, 1.0), new Random(3))
                .forEach(g -> answers.add(g.text()));
        assertThat(answers).hasSizeGreaterThanOrEqualTo(4);
    }

    @Test
    void sftIsDeterministicGivenTheSeed() throws IOException {
        WarmStart.Spec spec = TINY.withSteps(4);
        List<Double> a = new ArrayList<>(), b = new ArrayList<>();
        WarmStart.train(spec, dataDir.resolve("a"), (s, t, l) -> a.add(l));
        WarmStart.train(spec, dataDir.resolve("b"), (s, t, l) -> b.add(l));
        assertThat(a).hasSize(4).isEqualTo(b);
        assertThat(Files.readAllBytes(dataDir.resolve("a/model.safetensors")))
                .isEqualTo(Files.readAllBytes(dataDir.resolve("b/model.safetensors")));
    }

    @Test
    void pi0IsCachedAsAnHfDirectoryWithItsTokenizer() throws IOException {
        assertThat(pi0).isEqualTo(WarmStart.cacheDir(dataDir, TINY));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", WarmStart.MANIFEST)) {
            assertThat(pi0.resolve(f)).isRegularFile();
        }
        long before = Files.getLastModifiedTime(pi0.resolve("model.safetensors")).toMillis();
        assertThat(WarmStart.ensure(dataDir, TINY, (s, t, l) -> {
            throw new AssertionError("a cached pi0 must not be retrained");
        })).isEqualTo(pi0);
        assertThat(Files.getLastModifiedTime(pi0.resolve("model.safetensors")).toMillis()).isEqualTo(before);
        assertThat(tok.applyChatTemplate(List.of(new TextTokenizer.Message("user", "What is 1 + 2?")), true))
                .isEqualTo(TaskTokenizer.renderPrompt("What is 1 + 2?"));
    }

    @Test
    void rewardModelTrainingBeatsChanceOnHeldOutPairs() throws IOException {
        // gold-labelled pairs of realistic responses: concise right answers against refusals, padding,
        // near misses and malformed output
        GoldReward gold = new GoldReward();
        Random rnd = new Random(11);
        List<LabeledPair> pairs = new ArrayList<>();
        Demonstration.Behaviour[] bs = Demonstration.Behaviour.values();
        for (TaskPrompt p : TaskSuite.standard().prompts(Split.RL, 500, 11)) {
            String x = Demonstrations.respond(p, bs[rnd.nextInt(bs.length)], rnd);
            String y = Demonstrations.respond(p, bs[rnd.nextInt(bs.length)], rnd);
            double rx = gold.score(p, x).reward(), ry = gold.score(p, y).reward();
            if (rx != ry) {
                pairs.add(rx > ry ? new LabeledPair(p.text(), x, y) : new LabeledPair(p.text(), y, x));
            }
        }
        Path out = dataDir.resolve("rm");
        RewardModelTrainer.Result r = TaskRewardModel.train(pi0, pairs, 0.25,
                new RewardModelTrainer.Options(1, 16, 2e-3, 5), out, StepListener.NONE);
        System.out.printf("reward model: %d train / %d held-out pairs, held-out accuracy %.3f (before %.3f), train %.3f, %.1f s%n",
                r.trainPairs(), r.heldOutPairs(), r.heldOutAccuracy(), r.heldOutAccuracyBefore(), r.trainAccuracy(), r.seconds());
        assertThat(r.heldOutPairs()).isGreaterThan(40);
        assertThat(r.heldOutAccuracy()).isGreaterThan(0.7).isGreaterThan(r.heldOutAccuracyBefore());
        assertThat(r.lastMeanLoss(10)).isLessThan(r.losses().get(0));
        // saved in HF format: it loads back as a reward model and scores the same
        try (RewardModel loaded = RewardModel.load(out, Device.cpu()); TextTokenizer t = TextTokenizer.load(out)) {
            assertThat(loaded.config().architecture()).isEqualTo("LlamaForSequenceClassification");
            double acc = RewardModelTrainer.accuracy(loaded, t,
                    RewardModelTrainer.splitByPrompt(pairs, 0.25, 5).get(1), 32);
            assertThat(acc).isEqualTo(r.heldOutAccuracy());
        }
    }

    @Test
    void proxyPairsFromPi0SamplesPreferTheGoldBetterResponse() {
        TaskSuite suite = TaskSuite.standard();
        List<LabeledPair> pairs = ProxyPairs.sample(new Decoder(policy, tok), tok, suite, 24, 4, 40, 3, StepListener.NONE);
        GoldReward gold = new GoldReward();
        assertThat(pairs).isNotEmpty();
        List<TaskPrompt> rl = suite.prompts(Split.RL, 24, 3);
        for (LabeledPair p : pairs) {
            TaskPrompt tp = rl.stream().filter(x -> x.text().equals(p.prompt())).findFirst().orElseThrow();
            assertThat(gold.score(tp, p.chosen()).reward()).isGreaterThan(gold.score(tp, p.rejected()).reward());
        }
    }

    @Test
    void theProxyRewardModelIsBuiltOnceAndCachedNextToPi0() throws IOException {
        TaskRewardModel.ProxySpec spec = new TaskRewardModel.ProxySpec(32, 4, new RewardModelTrainer.Options(1, 16, 1e-3, 2));
        Path rm = TaskRewardModel.ensureProxy(pi0, spec, StepListener.NONE, StepListener.NONE);
        assertThat(rm.getParent()).isEqualTo(pi0.getParent());
        assertThat(rm.resolve("pairs.jsonl")).isRegularFile();
        assertThat(PairsJsonl.read(rm.resolve("pairs.jsonl"))).hasSizeGreaterThanOrEqualTo(10);
        try (RewardModel loaded = RewardModel.load(rm, Device.cpu())) {
            assertThat(loaded.config().isRewardModel()).isTrue();
        }
        StepListener mustNotRun = (a, b, c) -> {
            throw new AssertionError("a cached proxy must not be rebuilt");
        };
        assertThat(TaskRewardModel.ensureProxy(pi0, spec, mustNotRun, mustNotRun)).isEqualTo(rm);
    }
}

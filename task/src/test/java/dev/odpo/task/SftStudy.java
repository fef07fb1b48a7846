package dev.odpo.task;

import ai.djl.Device;
import dev.odpo.model.Decoder;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.SamplingOptions;
import dev.odpo.model.TextTokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A study driver (not a test): trains one π0 variant and prints its gold figures by kind.
 * {@code java -cp ... dev.odpo.task.SftStudy hidden layers heads steps batch lr warmup mix demos [evalN [proxy]]}
 * with mix = standard | perfect | six comma-separated fractions. Used to pick {@link WarmStart.Spec#standard()}; see docs/task.md.
 */
public final class SftStudy {
    public static void main(String[] a) throws Exception {
        if (a[0].equals("proxy")) {
            proxy(Path.of(a[1]));
            return;
        }
        int hidden = Integer.parseInt(a[0]), layers = Integer.parseInt(a[1]), heads = Integer.parseInt(a[2]);
        int steps = Integer.parseInt(a[3]), batch = Integer.parseInt(a[4]);
        double lr = Double.parseDouble(a[5]);
        int warmup = Integer.parseInt(a[6]);
        DemonstrationMix mix = switch (a[7]) {
            case "standard" -> DemonstrationMix.standard();
            case "perfect" -> DemonstrationMix.perfect();
            default -> {
                // six fractions: correct, verbose correct, wrong, verbose wrong, refusal, malformed
                double[] f = java.util.Arrays.stream(a[7].split(",")).mapToDouble(Double::parseDouble).toArray();
                if (f.length != 6) {
                    throw new IllegalArgumentException("unknown mix '" + a[7] + "': standard, perfect or six fractions");
                }
                yield new DemonstrationMix(f[0], f[1], f[2], f[3], f[4], f[5]);
            }
        };
        int demos = Integer.parseInt(a[8]);
        int evalN = a.length > 9 ? Integer.parseInt(a[9]) : 200;
        WarmStart.Spec spec = new WarmStart.Spec(hidden, layers, heads, demos, TaskSuite.DEFAULT_SEED, mix,
                new SftTrainer.Options(steps, batch, lr, warmup, 1), 1);
        Path dir = Files.createTempDirectory("sft-study");
        int every = Math.max(1, steps / 10);
        StepListener progress = (s, t, l) -> {
            if (s % every == 0) {
                System.out.printf("step %d/%d loss %.3f%n", s, t, l);
                System.out.flush();
            }
        };
        String kinds = System.getenv().getOrDefault("KINDS", "");
        TaskSuite suite = kinds.isEmpty() ? TaskSuite.standard() : new TaskSuite(TaskSuite.DEFAULT_SEED,
                java.util.Arrays.stream(kinds.split(",")).map(TaskKind::parse).collect(java.util.stream.Collectors.toSet()));
        SftTrainer.Result r;
        if (kinds.isEmpty()) {
            r = WarmStart.train(spec, dir, progress);
        } else {
            TaskTokenizer.write(dir);
            try (TextTokenizer tok = TextTokenizer.load(dir);
                 LlamaModel model = LlamaModel.random(spec.modelConfig(), Device.cpu(), spec.initSeed())) {
                r = SftTrainer.train(model, Demonstrations.build(suite, mix, demos, 1), tok, spec.sft(), progress);
                model.save(dir);
            }
        }
        System.out.printf("spec %s params %d%nSFT %.1f s (%.0f ms/step), loss %.3f -> %.3f%n", spec,
                spec.modelConfig().parameterCount(), r.seconds(), 1000 * r.seconds() / steps, r.firstMean(10), r.lastMean(10));
        List<TaskPrompt> eval = suite.evaluationSet(evalN);
        try (TextTokenizer tok = TextTokenizer.load(dir); LlamaModel m = LlamaModel.load(dir, Device.cpu())) {
            Decoder gen = new Decoder(m, tok);
            long t0 = System.nanoTime();
            GoldEvaluation.Report g = GoldEvaluation.run(gen, tok, eval, SamplingOptions.greedy(64), new Random(1), 50);
            GoldEvaluation.Report s = GoldEvaluation.run(gen, tok, eval, SamplingOptions.sampled(64, 1.0, 0, 1.0), new Random(2), 50);
            System.out.printf("eval %.1f s%ngreedy: %s%n  by kind %s%nT=1:    %s%n  by kind %s%n", (System.nanoTime() - t0) / 1e9,
                    g.summary(), byKind(g), s.summary(), byKind(s));
            for (int i = 0; i < 8; i++) {
                GoldEvaluation.Rollout ro = s.rollouts().get(i);
                System.out.printf("  %s -> %s [%s, gold %s]%n", ro.prompt().text(), ro.response(), ro.score().verdict(), ro.prompt().answer());
            }
        }
        if (a.length > 10 && a[10].equals("proxy")) {
            proxy(dir);
        }
    }

    /** Builds the standard proxy reward model from a π0 directory and prints its held-out accuracy. */
    static void proxy(Path dir) throws java.io.IOException {
        TaskRewardModel.ProxySpec ps = TaskRewardModel.ProxySpec.standard();
        long t0 = System.nanoTime();
        RewardModelTrainer.Result rm = TaskRewardModel.buildProxy(dir, TaskSuite.standard(), ps.prompts(),
                ps.samplesPerPrompt(), ps.options(), dir.resolve("pairs.jsonl"), dir.resolve("rm"),
                StepListener.NONE, StepListener.NONE);
        System.out.printf("proxy RM: %d train / %d held-out pairs, held-out accuracy %.3f (before %.3f), %.1f s%n",
                rm.trainPairs(), rm.heldOutPairs(), rm.heldOutAccuracy(), rm.heldOutAccuracyBefore(),
                (System.nanoTime() - t0) / 1e9);
    }

    static Map<TaskKind, String> byKind(GoldEvaluation.Report r) {
        Map<TaskKind, int[]> c = new EnumMap<>(TaskKind.class);
        for (GoldEvaluation.Rollout ro : r.rollouts()) {
            int[] x = c.computeIfAbsent(ro.prompt().kind(), k -> new int[2]);
            x[0] += ro.score().correct() ? 1 : 0;
            x[1]++;
        }
        Map<TaskKind, String> out = new EnumMap<>(TaskKind.class);
        c.forEach((k, v) -> out.put(k, v[0] + "/" + v[1]));
        return out;
    }
}

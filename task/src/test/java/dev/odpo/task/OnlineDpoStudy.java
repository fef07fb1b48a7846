package dev.odpo.task;

import ai.djl.Device;
import dev.odpo.model.AdamW;
import dev.odpo.model.DpoLoss;
import dev.odpo.model.DpoTrainer;
import dev.odpo.model.EncodedPair;
import dev.odpo.model.Generation;
import dev.odpo.model.LearningRateSchedule;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.ReferenceMode;
import dev.odpo.model.SamplingOptions;
import dev.odpo.model.TextTokenizer;
import dev.odpo.model.TrainingStep;
import dev.odpo.policy.Policy;
import dev.odpo.policy.PromptEncoding;
import dev.odpo.policy.ScoringModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;

/**
 * A study driver (not a test): the online DPO loop in one process, without Kafka — the same decoder, proxy
 * reward model, verifier and DPO trainer as the services, synchronously: per iteration, 8 samples at
 * temperature 1 for each of P RL-split prompts, reward = proxy + goldWeight·gold − λ·length, best vs worst
 * (ties dropped), DPO steps of 16 pairs; every E iterations the reference may move ({@code previous}) and the
 * policy is evaluated on held-out prompts (greedy and temperature-1 gold, length, proxy). Used to choose the
 * demo's learning rate, reference and verifier weight; see docs/demo.md.
 * {@code java -cp ... dev.odpo.task.OnlineDpoStudy PI0_DIR RM_DIR lr beta initial|previous iterations prompts
 * evalEvery seed [lengthPenalty [evalPrompts [goldWeight]]]}
 */
public final class OnlineDpoStudy {
    public static void main(String[] a) throws Exception {
        Path pi0 = Path.of(a[0]);
        Path rm = Path.of(a[1]);
        double lr = Double.parseDouble(a[2]);
        double beta = Double.parseDouble(a[3]);
        ReferenceMode refMode = ReferenceMode.valueOf(a[4].toUpperCase());
        int iterations = Integer.parseInt(a[5]);
        int promptsPerIter = Integer.parseInt(a[6]);
        int evalEvery = Integer.parseInt(a[7]);
        long seed = Long.parseLong(a[8]);
        double lenPenalty = a.length > 9 ? Double.parseDouble(a[9]) : 0;
        int evalN = a.length > 10 ? Integer.parseInt(a[10]) : 200;
        double goldWeight = a.length > 11 ? Double.parseDouble(a[11]) : 0;
        GoldReward gold = new GoldReward();
        TaskSuite suite = new TaskSuite(TaskSuite.DEFAULT_SEED);
        List<TaskPrompt> eval = suite.evaluationSet(evalN);
        Supplier<TaskPrompt> stream = suite.stream(Split.RL, seed);
        Random rng = new Random(seed);
        try (Policy pol = Policy.load(pi0, Device.cpu()); LlamaModel refm = pol.model().copy();
             LlamaModel pi0m = pol.model().copy();
             ScoringModel rmm = ScoringModel.load(rm, Device.cpu())) {
            TextTokenizer tok = pol.tokenizer();
            PromptEncoding enc = pol.encoding();
            DpoTrainer trainer = new DpoTrainer(pol.model(), refm, tok.padId(), new DpoTrainer.Options(
                    new DpoLoss(DpoLoss.Kind.SIGMOID, beta, 0), refMode,
                    new TrainingStep.Options(AdamW.Options.of(lr).withMaxGradNorm(1.0),
                            LearningRateSchedule.constantAfterWarmup(lr, 5), 1)));
            evaluate(0, 0, pol, pi0m, rmm, eval);
            long pairsTotal = 0;
            long t0 = System.nanoTime();
            double genS = 0, trainS = 0;
            for (int it = 1; it <= iterations; it++) {
                long g0 = System.nanoTime();
                List<TaskPrompt> ps = new ArrayList<>();
                for (int i = 0; i < promptsPerIter; i++) ps.add(stream.get());
                List<int[]> ids = new ArrayList<>();
                for (TaskPrompt p : ps) for (int k = 0; k < 8; k++) ids.add(enc.prompt(p.text()));
                List<Generation> gens = pol.decoder().generate(ids, SamplingOptions.sampled(48, 1.0, 0, 1.0), rng);
                List<String> pt = new ArrayList<>(), rt = new ArrayList<>();
                for (int i = 0; i < gens.size(); i++) { pt.add(ps.get(i / 8).text()); rt.add(gens.get(i).text()); }
                float[] sc = rmm.score(pt, rt);
                List<EncodedPair> pairs = new ArrayList<>();
                for (int p = 0; p < ps.size(); p++) {
                    int best = -1, worst = -1; double bv = -1e9, wv = 1e9;
                    for (int k = 0; k < 8; k++) {
                        int i = p * 8 + k;
                        double r = sc[i] - lenPenalty * rt.get(i).length() + goldWeight * gold.score(ps.get(p), rt.get(i)).reward();
                        if (r > bv) { bv = r; best = i; }
                        if (r < wv) { wv = r; worst = i; }
                    }
                    if (bv - wv < 1e-6 || rt.get(best).equals(rt.get(worst))) continue;
                    pairs.add(new EncodedPair(enc.prompt(ps.get(p).text()), enc.response(rt.get(best)), enc.response(rt.get(worst)), 1.0));
                }
                genS += (System.nanoTime() - g0) / 1e9;
                long tr0 = System.nanoTime();
                Collections.shuffle(pairs, rng);
                DpoTrainer.StepMetrics last = null;
                for (int from = 0; from < pairs.size(); from += 16) {
                    last = trainer.step(pairs.subList(from, Math.min(pairs.size(), from + 16)));
                }
                trainS += (System.nanoTime() - tr0) / 1e9;
                pairsTotal += pairs.size();
                if (last != null) System.out.printf(Locale.ROOT, "it %d pairs %d loss %.3f acc %.2f margin %.3f kl %.2f gn %.2f%n", it, pairs.size(), last.loss(), last.rewardAccuracy(), last.rewardMargin(), last.klEstimate(), last.gradientNorm());
                if (it % evalEvery == 0) {
                    trainer.onPublished();
                    System.out.printf(Locale.ROOT, "  time %.0fs gen %.0fs train %.0fs%n", (System.nanoTime() - t0) / 1e9, genS, trainS);
                    evaluate(it / evalEvery, pairsTotal, pol, pi0m, rmm, eval);
                }
            }
        }
    }

    static void evaluate(int version, long pairs, Policy pol, LlamaModel pi0, ScoringModel rm, List<TaskPrompt> eval) {
        TextTokenizer tok = pol.tokenizer();
        GoldEvaluation.Report g = GoldEvaluation.run(pol.decoder(), tok, eval, SamplingOptions.greedy(48), new Random(7), 100);
        GoldEvaluation.Report s = GoldEvaluation.run(pol.decoder(), tok, eval, SamplingOptions.sampled(48, 1.0, 0, 1.0), new Random(7), 100);
        double len = 0; List<String> pt = new ArrayList<>(), rt = new ArrayList<>();
        for (GoldEvaluation.Rollout r : s.rollouts()) { len += r.response().length(); pt.add(r.prompt().text()); rt.add(r.response()); }
        float[] proxy = rm.score(pt, rt);
        double pm = 0; for (float f : proxy) pm += f;
        System.out.printf(Locale.ROOT, "EVAL v%d pairs %d | greedy acc %.3f reward %.3f | T1 acc %.3f reward %.3f | len %.1f | proxy %.3f | %s%n",
                version, pairs, g.accuracy(), g.meanReward(), s.accuracy(), s.meanReward(), len / s.rollouts().size(), pm / proxy.length, s.verdicts());
    }
}

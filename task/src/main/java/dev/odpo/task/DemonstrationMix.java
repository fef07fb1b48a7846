package dev.odpo.task;

import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

/**
 * The fraction of each behaviour in the SFT data. The defaults make π0 imperfect on purpose —
 * only half of the demonstrations are concise and correct — so that sampled at temperature 1
 * it is diverse and mediocre, leaving room for online DPO.
 */
public record DemonstrationMix(double correct, double verboseCorrect, double wrong, double verboseWrong,
                               double refusal, double malformed) {

    public DemonstrationMix {
        double[] all = {correct, verboseCorrect, wrong, verboseWrong, refusal, malformed};
        double sum = 0;
        for (double f : all) {
            if (f < 0 || Double.isNaN(f)) {
                throw new IllegalArgumentException("demonstration fractions must be >= 0, got " + this);
            }
            sum += f;
        }
        if (Math.abs(sum - 1.0) > 1e-6) {
            throw new IllegalArgumentException("demonstration fractions must sum to 1, got " + sum);
        }
    }

    /**
     * 50% correct, 15% verbose correct, 15% wrong, 5% verbose wrong, 10% refusal, 5% malformed: π0 at
     * temperature 1 then scores about 0.2 gold accuracy against a ceiling of 0.6 (docs/task.md).
     */
    public static DemonstrationMix standard() {
        return new DemonstrationMix(0.50, 0.15, 0.15, 0.05, 0.10, 0.05);
    }

    /** Only correct, concise demonstrations: the ceiling the model can reach with this budget. */
    public static DemonstrationMix perfect() {
        return new DemonstrationMix(1, 0, 0, 0, 0, 0);
    }

    public Map<Demonstration.Behaviour, Double> asMap() {
        Map<Demonstration.Behaviour, Double> m = new EnumMap<>(Demonstration.Behaviour.class);
        m.put(Demonstration.Behaviour.CORRECT, correct);
        m.put(Demonstration.Behaviour.VERBOSE_CORRECT, verboseCorrect);
        m.put(Demonstration.Behaviour.WRONG, wrong);
        m.put(Demonstration.Behaviour.VERBOSE_WRONG, verboseWrong);
        m.put(Demonstration.Behaviour.REFUSAL, refusal);
        m.put(Demonstration.Behaviour.MALFORMED, malformed);
        return m;
    }

    Demonstration.Behaviour draw(Random rnd) {
        double u = rnd.nextDouble();
        double acc = 0;
        Demonstration.Behaviour last = Demonstration.Behaviour.CORRECT;
        for (Map.Entry<Demonstration.Behaviour, Double> e : asMap().entrySet()) {
            if (e.getValue() <= 0) {
                continue;
            }
            acc += e.getValue();
            last = e.getKey();
            if (u < acc) {
                return last;
            }
        }
        return last;
    }
}

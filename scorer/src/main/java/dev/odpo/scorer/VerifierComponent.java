package dev.odpo.scorer;

import dev.odpo.events.Sample;
import dev.odpo.task.GoldReward;
import java.util.ArrayList;
import java.util.List;

/**
 * The built-in task's gold reward ({@link GoldReward}) for samples that carry a {@code task} and a
 * {@code reference_answer}. Other samples are skipped, not refused: every sample of a group shares its
 * prompt, so a verifier applies to a whole group or to none of it, and the other components still rank it.
 */
public final class VerifierComponent implements RewardComponent {

    static final String NO_REFERENCE = "the sample carries no task and reference answer";

    private final GoldReward gold = new GoldReward();

    @Override
    public ComponentKind kind() {
        return ComponentKind.VERIFIER;
    }

    @Override
    public List<ComponentResult> score(List<Sample> samples) {
        List<ComponentResult> out = new ArrayList<>(samples.size());
        for (Sample s : samples) {
            out.add(score(s));
        }
        return out;
    }

    private ComponentResult score(Sample s) {
        if (blank(s.getTask()) || blank(s.getReferenceAnswer())) {
            return ComponentResult.skipped(NO_REFERENCE);
        }
        try {
            return ComponentResult.value(gold.score(s.getTask(), s.getReferenceAnswer(), s.getResponseText()).reward());
        } catch (IllegalArgumentException unknownTask) {
            return ComponentResult.skipped(unknownTask.getMessage());
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}

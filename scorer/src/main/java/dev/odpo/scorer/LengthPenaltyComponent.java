package dev.odpo.scorer;

import dev.odpo.events.Sample;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * −λ·|response|: the length penalty of "RLHF Workflow: From Reward Modeling to Online RLHF"
 * (arXiv:2405.07863, eq. 8), which keeps the policy from learning that longer answers score higher.
 */
public final class LengthPenaltyComponent implements RewardComponent {

    private final double lambda;
    private final ResponseLength.Unit unit;
    private final ResponseLength length;

    /**
     * @param lambda λ ≥ 0, per character or per token
     * @param unit   how |response| is counted
     * @param length where tokens are counted
     */
    public LengthPenaltyComponent(double lambda, ResponseLength.Unit unit, ResponseLength length) {
        if (!(lambda >= 0) || !Double.isFinite(lambda)) {
            throw new IllegalArgumentException("λ must be a finite number >= 0, got " + lambda);
        }
        this.lambda = lambda;
        this.unit = unit;
        this.length = length;
    }

    @Override
    public ComponentKind kind() {
        return ComponentKind.LENGTH_PENALTY;
    }

    @Override
    public List<ComponentResult> score(List<Sample> samples) {
        List<ComponentResult> out = new ArrayList<>(samples.size());
        for (Sample s : samples) {
            OptionalInt n = length.in(unit, s);
            // Falling back to characters would mix units inside one penalty, so a sample that cannot be
            // measured in tokens is refused rather than penalised on another scale.
            out.add(n.isPresent() ? ComponentResult.value(-lambda * n.getAsInt())
                    : ComponentResult.refused("the length penalty counts tokens, but the sample carries no "
                    + "response_token_ids and the scorer has no reward model tokenizer"));
        }
        return out;
    }
}

package dev.odpo.pairs;

import dev.odpo.events.PairSource;
import dev.odpo.events.Score;
import dev.odpo.events.ScorerKind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Which scores decide a sample's reward.
 *
 * <p>With no scorer names, the first score a sample receives decides (one scorer in the deployment).
 * With names, a sample counts as scored only once every named scorer has scored it, and its reward is
 * the sum of their rewards (e.g. a reward model plus a length penalty scorer).
 */
public record ScorerChoice(List<String> scorers) {

    public ScorerChoice {
        scorers = List.copyOf(scorers);
        for (String name : scorers) {
            if (name.isBlank()) {
                throw new IllegalArgumentException("scorer names must not be blank: " + scorers);
            }
        }
        if (scorers.stream().distinct().count() != scorers.size()) {
            throw new IllegalArgumentException("scorer names must be distinct: " + scorers);
        }
    }

    /** First score wins. */
    public static ScorerChoice any() {
        return new ScorerChoice(List.of());
    }

    /** Parses a comma-separated list; empty or "*" means any. */
    public static ScorerChoice parse(String value) {
        String trimmed = value == null ? "" : value.trim();
        if (trimmed.isEmpty() || trimmed.equals("*")) {
            return any();
        }
        return new ScorerChoice(List.of(trimmed.split("\\s*,\\s*")));
    }

    /** A sample's reward from the scores that count, with who judged and what kind of judge it was. */
    public record Reward(double value, List<Score> scores, String judge, PairSource source) {}

    /** The reward of one sample given all its scores (in arrival order), or empty while still incomplete. */
    public Optional<Reward> rewardOf(Collection<Score> scoresInArrivalOrder) {
        if (scoresInArrivalOrder.isEmpty()) {
            return Optional.empty();
        }
        List<Score> used = new ArrayList<>();
        if (scorers.isEmpty()) {
            used.add(scoresInArrivalOrder.iterator().next());
        } else {
            for (String name : scorers) {
                Optional<Score> match = scoresInArrivalOrder.stream().filter(s -> s.getScorer().equals(name)).findFirst();
                if (match.isEmpty()) {
                    return Optional.empty();
                }
                used.add(match.get());
            }
        }
        double sum = used.stream().mapToDouble(Score::getReward).sum();
        String judge = String.join("+", used.stream().map(Score::getScorer).toList());
        return Optional.of(new Reward(sum, List.copyOf(used), judge, sourceOf(used)));
    }

    /** A reward model among the judges makes a REWARD_MODEL pair, else a verifier among them a VERIFIER pair. */
    static PairSource sourceOf(List<Score> used) {
        boolean rewardModel = used.stream().anyMatch(s -> s.getScorerKind() == ScorerKind.REWARD_MODEL);
        boolean verifier = used.stream().anyMatch(s -> s.getScorerKind() == ScorerKind.VERIFIER);
        if (rewardModel) {
            return PairSource.REWARD_MODEL;
        }
        return verifier ? PairSource.VERIFIER : PairSource.OTHER;
    }
}

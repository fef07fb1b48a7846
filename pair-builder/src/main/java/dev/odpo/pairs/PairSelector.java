package dev.odpo.pairs;

import dev.odpo.events.PreferencePair;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Turns one group's scored samples into preference pairs by a {@link SelectionRule}.
 *
 * <p>Samples are ranked by reward − λ·|response| (papers/002, eq. 8; λ = lengthPenalty, 0 = plain
 * reward). A candidate pair is dropped as a tie when both responses are identical or its margin is
 * zero (papers/002: "we also drop the pair where [both] give the same response"), and dropped as weak
 * when its margin is below {@code minMargin}. The rewards and margin written to a pair are the
 * ranking values, so they always agree with the decision.
 */
public final class PairSelector {
    /** Equal rewards break by position in the group, then by sample id, so selection is deterministic. */
    private static final Comparator<ScoredSample> BY_POSITION = Comparator
            .comparingInt((ScoredSample s) -> s.sample().getIndexInGroup())
            .thenComparing(ScoredSample::sampleId);

    private final SelectionRule rule;
    private final double minMargin;
    private final double lengthPenalty;
    private final long seed;

    /** What one selection produced and what it dropped. */
    public record Selection(List<PreferencePair> pairs, int ties, int belowMargin) {}

    public PairSelector(SelectionRule rule, double minMargin, double lengthPenalty, long seed) {
        if (!(minMargin >= 0) || Double.isInfinite(minMargin)) {
            throw new IllegalArgumentException("minMargin must be a finite number >= 0, got " + minMargin);
        }
        if (!(lengthPenalty >= 0) || Double.isInfinite(lengthPenalty)) {
            throw new IllegalArgumentException("lengthPenalty must be a finite number >= 0, got " + lengthPenalty);
        }
        this.rule = rule;
        this.minMargin = minMargin;
        this.lengthPenalty = lengthPenalty;
        this.seed = seed;
    }

    public SelectionRule rule() {
        return rule;
    }

    /** Pairs for one group; {@code scored} needs at least two samples to yield anything. */
    public Selection select(String groupId, List<ScoredSample> scored, Instant now) {
        List<ScoredSample[]> candidates = switch (rule) {
            case MAX_MIN -> scored.size() < 2 ? List.of() : List.<ScoredSample[]>of(new ScoredSample[] {best(scored), worst(scored)});
            case MAX_RANDOM -> scored.size() < 2 ? List.of() : List.<ScoredSample[]>of(maxRandom(groupId, scored));
            case PILAF -> pilaf(scored);
        };
        List<PreferencePair> pairs = new ArrayList<>();
        int ties = 0;
        int belowMargin = 0;
        for (ScoredSample[] candidate : candidates) {
            ScoredSample first = candidate[0];
            ScoredSample second = candidate[1];
            boolean firstWins = first.selectionReward(lengthPenalty) >= second.selectionReward(lengthPenalty);
            ScoredSample chosen = firstWins ? first : second;
            ScoredSample rejected = firstWins ? second : first;
            double margin = chosen.selectionReward(lengthPenalty) - rejected.selectionReward(lengthPenalty);
            if (margin <= 0 || chosen.sample().getResponseText().equals(rejected.sample().getResponseText())) {
                ties++;
            } else if (margin < minMargin) {
                belowMargin++;
            } else {
                pairs.add(toPair(groupId, chosen, rejected, margin, now));
            }
        }
        return new Selection(pairs, ties, belowMargin);
    }

    private ScoredSample best(List<ScoredSample> scored) {
        Comparator<ScoredSample> byReward = Comparator.comparingDouble(s -> s.selectionReward(lengthPenalty));
        return scored.stream().min(byReward.reversed().thenComparing(BY_POSITION)).orElseThrow();
    }

    private ScoredSample worst(List<ScoredSample> scored) {
        Comparator<ScoredSample> byReward = Comparator.comparingDouble(s -> s.selectionReward(lengthPenalty));
        return scored.stream().min(byReward.thenComparing(BY_POSITION)).orElseThrow();
    }

    /** The best sample against one of the others drawn uniformly; the draw is seeded by the group id. */
    private ScoredSample[] maxRandom(String groupId, List<ScoredSample> scored) {
        ScoredSample best = best(scored);
        List<ScoredSample> others = new ArrayList<>(scored);
        others.remove(best);
        others.sort(BY_POSITION);
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + groupId.hashCode());
        return new ScoredSample[] {best, others.get(random.nextInt(others.size()))};
    }

    /**
     * PILAF (papers/004) draws responses in pairs (both from π_θ, or one from π⁺ and one from π⁻) and
     * labels each drawn pair: the pair is the two samples sharing a pair_slot. Samples without a slot
     * pair up by position (0 with 1, 2 with 3, ...). A slot holding more than two samples is reduced
     * to its best and worst; a slot with one scored sample yields nothing.
     */
    private List<ScoredSample[]> pilaf(List<ScoredSample> scored) {
        Map<Integer, List<ScoredSample>> slots = new TreeMap<>();
        for (ScoredSample s : scored) {
            Sample sample = s.sample();
            int slot = sample.getPairSlot() != null ? sample.getPairSlot() : sample.getIndexInGroup() / 2;
            slots.computeIfAbsent(slot, k -> new ArrayList<>()).add(s);
        }
        List<ScoredSample[]> out = new ArrayList<>();
        for (List<ScoredSample> members : slots.values()) {
            if (members.size() >= 2) {
                members.sort(BY_POSITION);
                out.add(members.size() == 2
                        ? new ScoredSample[] {members.get(0), members.get(1)}
                        : new ScoredSample[] {best(members), worst(members)});
            }
        }
        return out;
    }

    private PreferencePair toPair(String groupId, ScoredSample chosen, ScoredSample rejected, double margin, Instant now) {
        Sample c = chosen.sample();
        Sample r = rejected.sample();
        List<String> scoreIds = new ArrayList<>();
        chosen.reward().scores().stream().map(Score::getScoreId).forEach(scoreIds::add);
        rejected.reward().scores().stream().map(Score::getScoreId).forEach(scoreIds::add);
        return PreferencePair.newBuilder()
                .setPairId(PairIds.ofGroupPair(rule, groupId, c.getSampleId(), r.getSampleId()))
                .setPromptId(c.getPromptId())
                .setGroupId(groupId)
                .setCreatedAt(now)
                .setPromptText(c.getPromptText())
                .setChosenText(c.getResponseText())
                .setRejectedText(r.getResponseText())
                .setChosenSampleId(c.getSampleId())
                .setRejectedSampleId(r.getSampleId())
                .setChosenReward(chosen.selectionReward(lengthPenalty))
                .setRejectedReward(rejected.selectionReward(lengthPenalty))
                .setMargin(margin)
                .setChosenPolicyVersion(c.getPolicyVersion())
                .setRejectedPolicyVersion(r.getPolicyVersion())
                .setChosenSampler(c.getSampler())
                .setRejectedSampler(r.getSampler())
                .setChosenLogprob(c.getLogprob())
                .setRejectedLogprob(r.getLogprob())
                .setSource(chosen.reward().source())
                .setSelection(rule.configName())
                .setJudge(chosen.reward().judge())
                .setScoreIds(scoreIds)
                .setFeedbackId(null)
                .setWeight(1.0)
                .build();
    }
}

package dev.odpo.pairs;

import dev.odpo.events.FeedbackChoice;
import dev.odpo.events.HumanFeedback;
import dev.odpo.events.PairSource;
import dev.odpo.events.PreferencePair;
import dev.odpo.events.Sample;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Turns human feedback into HUMAN preference pairs, given the samples it names.
 *
 * <p>An A/B choice becomes a pair at once (rewards 1 and 0: a label, not a score; margin 1). A rating
 * of one sample becomes a pair only together with another rating of a sample of the same prompt: the
 * higher-rated response is chosen and the margin is the rating difference. A TIE choice, equal
 * ratings or identical responses give nothing.
 */
public final class HumanFeedbackResolver {
    public static final String SELECTION = "human";

    /** The outcome of looking at one feedback event. */
    public sealed interface Outcome {}
    /** A pair to emit. */
    public record Paired(PreferencePair pair) implements Outcome {}
    /** A tie: nothing to emit. */
    public record Tie(String why) implements Outcome {}
    /** A valid rating of a known sample: keep it for pairing with later ratings. */
    public record Rated(Sample sample, double rating) implements Outcome {}
    /** Some named samples are not (or no longer) known. */
    public record MissingSamples(List<String> sampleIds) implements Outcome {}
    /** The feedback itself is malformed. */
    public record Invalid(String reason) implements Outcome {}

    private HumanFeedbackResolver() {}

    /** Checks the shape of a feedback event, independent of the samples; empty when it is well formed. */
    public static Optional<String> validate(HumanFeedback fb) {
        if (!(fb.getWeight() >= 0) || Double.isInfinite(fb.getWeight())) {
            return Optional.of("weight must be a finite number >= 0, got " + fb.getWeight());
        }
        if (isChoice(fb)) {
            if (fb.getSampleAId().equals(fb.getSampleBId())) {
                return Optional.of("sample_a_id and sample_b_id are the same sample: " + fb.getSampleAId());
            }
            return Optional.empty();
        }
        if (isRating(fb)) {
            if (!Double.isFinite(fb.getRating())) {
                return Optional.of("rating must be a finite number, got " + fb.getRating());
            }
            return Optional.empty();
        }
        return Optional.of("feedback must carry either sample_a_id + sample_b_id + choice, or sample_id + rating");
    }

    public static boolean isChoice(HumanFeedback fb) {
        return fb.getSampleAId() != null && fb.getSampleBId() != null && fb.getChoice() != null;
    }

    public static boolean isRating(HumanFeedback fb) {
        return !isChoice(fb) && fb.getSampleId() != null && fb.getRating() != null;
    }

    /** The sample ids this feedback needs. */
    public static List<String> sampleIdsOf(HumanFeedback fb) {
        return isChoice(fb) ? List.of(fb.getSampleAId(), fb.getSampleBId()) : List.of(fb.getSampleId());
    }

    /** Resolves one feedback event against the samples known for its prompt. */
    public static Outcome resolve(HumanFeedback fb, Function<String, Optional<Sample>> samples, Instant now) {
        Optional<String> invalid = validate(fb);
        if (invalid.isPresent()) {
            return new Invalid(invalid.get());
        }
        List<String> missing = new ArrayList<>();
        List<Sample> found = new ArrayList<>();
        for (String id : sampleIdsOf(fb)) {
            samples.apply(id).ifPresentOrElse(found::add, () -> missing.add(id));
        }
        if (!missing.isEmpty()) {
            return new MissingSamples(missing);
        }
        if (isRating(fb)) {
            return new Rated(found.get(0), fb.getRating());
        }
        if (fb.getChoice() == FeedbackChoice.TIE) {
            return new Tie("annotator chose tie");
        }
        boolean aWins = fb.getChoice() == FeedbackChoice.A;
        Sample chosen = aWins ? found.get(0) : found.get(1);
        Sample rejected = aWins ? found.get(1) : found.get(0);
        if (chosen.getResponseText().equals(rejected.getResponseText())) {
            return new Tie("identical responses");
        }
        return new Paired(pair(PairIds.ofHumanChoice(fb.getFeedbackId()), chosen, rejected, 1.0, 0.0,
                fb.getAnnotator(), fb.getFeedbackId(), fb.getWeight(), now));
    }

    /**
     * Pairs two ratings of samples of one prompt. The weight is the smaller of the two feedback weights:
     * a pair is only as trustworthy as its weaker judgement.
     */
    public static Outcome pairRatings(HumanFeedback a, Sample sampleA, HumanFeedback b, Sample sampleB, Instant now) {
        if (sampleA.getSampleId().equals(sampleB.getSampleId())) {
            return new Tie("both ratings are of the same sample");
        }
        if (a.getRating().doubleValue() == b.getRating().doubleValue()) {
            return new Tie("equal ratings");
        }
        if (sampleA.getResponseText().equals(sampleB.getResponseText())) {
            return new Tie("identical responses");
        }
        boolean aWins = a.getRating() > b.getRating();
        HumanFeedback hi = aWins ? a : b;
        HumanFeedback lo = aWins ? b : a;
        String annotators = hi.getAnnotator().equals(lo.getAnnotator()) ? hi.getAnnotator() : hi.getAnnotator() + "+" + lo.getAnnotator();
        String feedbackIds = a.getFeedbackId().compareTo(b.getFeedbackId()) <= 0
                ? a.getFeedbackId() + "+" + b.getFeedbackId() : b.getFeedbackId() + "+" + a.getFeedbackId();
        return new Paired(pair(PairIds.ofHumanRatings(a.getFeedbackId(), b.getFeedbackId()),
                aWins ? sampleA : sampleB, aWins ? sampleB : sampleA, hi.getRating(), lo.getRating(),
                annotators, feedbackIds, Math.min(a.getWeight(), b.getWeight()), now));
    }

    private static PreferencePair pair(String pairId, Sample chosen, Sample rejected, double chosenReward,
                                       double rejectedReward, String judge, String feedbackId, double weight, Instant now) {
        return PreferencePair.newBuilder()
                .setPairId(pairId)
                .setPromptId(chosen.getPromptId())
                .setGroupId(chosen.getGroupId())
                .setCreatedAt(now)
                .setPromptText(chosen.getPromptText())
                .setChosenText(chosen.getResponseText())
                .setRejectedText(rejected.getResponseText())
                .setChosenSampleId(chosen.getSampleId())
                .setRejectedSampleId(rejected.getSampleId())
                .setChosenReward(chosenReward)
                .setRejectedReward(rejectedReward)
                .setMargin(chosenReward - rejectedReward)
                .setChosenPolicyVersion(chosen.getPolicyVersion())
                .setRejectedPolicyVersion(rejected.getPolicyVersion())
                .setChosenSampler(chosen.getSampler())
                .setRejectedSampler(rejected.getSampler())
                .setChosenLogprob(chosen.getLogprob())
                .setRejectedLogprob(rejected.getLogprob())
                .setSource(PairSource.HUMAN)
                .setSelection(SELECTION)
                .setJudge(judge)
                .setScoreIds(List.of())
                .setFeedbackId(feedbackId)
                .setWeight(weight)
                .build();
    }
}

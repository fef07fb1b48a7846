package dev.odpo.pairs;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Deterministic pair ids: the same inputs always give the same id, so a consumer can recognise a
 * duplicate and tests can check exactly-once output by id.
 */
public final class PairIds {
    private PairIds() {}

    /** A pair selected from a scored group. */
    public static String ofGroupPair(SelectionRule rule, String groupId, String chosenSampleId, String rejectedSampleId) {
        return uuid("group|" + rule.configName() + "|" + groupId + "|" + chosenSampleId + "|" + rejectedSampleId);
    }

    /** A pair from one person's A/B choice. */
    public static String ofHumanChoice(String feedbackId) {
        return uuid("human-choice|" + feedbackId);
    }

    /** A pair from two ratings of samples of one prompt; order-independent in the two feedback ids. */
    public static String ofHumanRatings(String feedbackIdA, String feedbackIdB) {
        String first = feedbackIdA.compareTo(feedbackIdB) <= 0 ? feedbackIdA : feedbackIdB;
        String second = first.equals(feedbackIdA) ? feedbackIdB : feedbackIdA;
        return uuid("human-ratings|" + first + "|" + second);
    }

    private static String uuid(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }
}

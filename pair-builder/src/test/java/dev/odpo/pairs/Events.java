package dev.odpo.pairs;

import dev.odpo.events.FeedbackChoice;
import dev.odpo.events.HumanFeedback;
import dev.odpo.events.SamplerKind;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import dev.odpo.events.ScorerKind;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Test events, built the way the generator, scorer and `odpo feedback` build them. */
final class Events {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private Events() {}

    /** Sample "{group}-s{index}" of prompt "{group}-p". */
    static Sample sample(String group, int index, int groupSize, String response) {
        return Sample.newBuilder()
                .setSampleId(group + "-s" + index)
                .setPromptId(promptOf(group))
                .setGroupId(group)
                .setCreatedAt(T0)
                .setPromptText("prompt of " + group)
                .setResponseText(response)
                .setGroupSize(groupSize)
                .setIndexInGroup(index)
                .setPolicyName("policy")
                .setPolicyVersion(3 + index)
                .setSampler(SamplerKind.POLICY)
                .setPairSlot(null)
                .setLogprob(-1.5 * (index + 1))
                .setResponseTokenIds(List.of())
                .setFinishReason("eos")
                .build();
    }

    static Sample pilafSample(String group, int index, int groupSize, int slot, SamplerKind sampler, String response) {
        Sample s = sample(group, index, groupSize, response);
        s.setPairSlot(slot);
        s.setSampler(sampler);
        return s;
    }

    static String promptOf(String group) {
        return group + "-p";
    }

    static Score score(String group, int index, int groupSize, double reward) {
        return score(group, index, groupSize, "reward-model:rm", ScorerKind.REWARD_MODEL, reward);
    }

    static Score score(String group, int index, int groupSize, String scorer, ScorerKind kind, double reward) {
        return Score.newBuilder()
                .setScoreId(group + "-s" + index + "@" + scorer)
                .setSampleId(group + "-s" + index)
                .setPromptId(promptOf(group))
                .setGroupId(group)
                .setGroupSize(groupSize)
                .setCreatedAt(T0)
                .setScorer(scorer)
                .setScorerKind(kind)
                .setReward(reward)
                .setComponents(Map.of())
                .setPolicyVersion(3 + index)
                .setResponseLength(null)
                .build();
    }

    static HumanFeedback choice(String id, String group, int a, int b, FeedbackChoice choice) {
        return HumanFeedback.newBuilder()
                .setFeedbackId(id)
                .setPromptId(promptOf(group))
                .setCreatedAt(T0)
                .setAnnotator("alice")
                .setSampleAId(group + "-s" + a)
                .setSampleBId(group + "-s" + b)
                .setChoice(choice)
                .setWeight(2.0)
                .build();
    }

    static HumanFeedback rating(String id, String group, int index, double rating, String annotator) {
        return HumanFeedback.newBuilder()
                .setFeedbackId(id)
                .setPromptId(promptOf(group))
                .setCreatedAt(T0)
                .setAnnotator(annotator)
                .setSampleId(group + "-s" + index)
                .setRating(rating)
                .build();
    }
}

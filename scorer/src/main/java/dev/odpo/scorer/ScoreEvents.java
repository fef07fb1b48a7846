package dev.odpo.scorer;

import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import dev.odpo.events.ScorerKind;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/** Builds the Score event of one scored sample. */
final class ScoreEvents {

    private ScoreEvents() {
    }

    /**
     * A scorer's score id for a sample: a name-based UUID of both, so a consumer recognises the same
     * judgement twice (a redelivery) and a re-scoring under the same name replaces it.
     */
    static String scoreId(String scorer, String sampleId) {
        return UUID.nameUUIDFromBytes(("score|" + scorer + "|" + sampleId).getBytes(StandardCharsets.UTF_8)).toString();
    }

    static Score of(Sample s, Judgement.Scored j, String scorer, ScorerKind kind, Instant now) {
        return Score.newBuilder()
                .setScoreId(scoreId(scorer, s.getSampleId()))
                .setSampleId(s.getSampleId())
                .setPromptId(s.getPromptId())
                .setGroupId(s.getGroupId())
                .setGroupSize(s.getGroupSize())
                .setCreatedAt(now)
                .setScorer(scorer)
                .setScorerKind(kind)
                .setReward(j.reward())
                .setComponents(j.components())
                .setSkipped(j.skipped())
                .setPolicyVersion(s.getPolicyVersion())
                .setResponseLength(j.responseTokens())
                .build();
    }
}

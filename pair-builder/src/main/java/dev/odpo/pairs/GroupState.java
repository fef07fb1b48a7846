package dev.odpo.pairs;

import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the pair-builder knows about one sample group: its samples and their scores, in arrival order.
 *
 * <p>Scores may arrive before their sample (they come from another topic). A repeated sample or a
 * repeated (sample, scorer) score replaces the earlier one, so redelivered input is harmless. A group
 * that has made its pairs (or was flushed or discarded) is deleted; the processor keeps a marker for it.
 */
public final class GroupState {
    private final String groupId;
    private final String promptId;
    private final long openedAtMs;
    private int groupSize;
    private final Map<String, Sample> samples;            // sample_id -> sample
    private final Map<String, List<Score>> scores;        // sample_id -> its scores, arrival order

    public GroupState(String groupId, String promptId, long openedAtMs) {
        this(groupId, promptId, openedAtMs, 0, new LinkedHashMap<>(), new LinkedHashMap<>());
    }

    GroupState(String groupId, String promptId, long openedAtMs, int groupSize,
               Map<String, Sample> samples, Map<String, List<Score>> scores) {
        this.groupId = groupId;
        this.promptId = promptId;
        this.openedAtMs = openedAtMs;
        this.groupSize = groupSize;
        this.samples = samples;
        this.scores = scores;
    }

    public String groupId() { return groupId; }
    public String promptId() { return promptId; }
    public long openedAtMs() { return openedAtMs; }
    /** The announced group size (from samples or scores); 0 until one arrived. */
    public int groupSize() { return groupSize; }
    public Collection<Sample> samples() { return samples.values(); }
    public Map<String, List<Score>> scores() { return scores; }

    public void add(Sample sample) {
        groupSize = Math.max(groupSize, sample.getGroupSize());
        samples.put(sample.getSampleId(), sample);
    }

    public void add(Score score) {
        groupSize = Math.max(groupSize, score.getGroupSize());
        List<Score> list = scores.computeIfAbsent(score.getSampleId(), id -> new ArrayList<>());
        list.removeIf(s -> s.getScorer().equals(score.getScorer()));
        list.add(score);
    }

    /** Samples whose reward is known under the scorer choice, in arrival order of the samples. */
    public List<ScoredSample> scoredSamples(ScorerChoice choice, LengthUnit unit) {
        List<ScoredSample> out = new ArrayList<>();
        for (Sample sample : samples.values()) {
            List<Score> own = scores.getOrDefault(sample.getSampleId(), List.of());
            Optional<ScorerChoice.Reward> reward = choice.rewardOf(own);
            reward.ifPresent(r -> out.add(new ScoredSample(sample, r, unit.lengthOf(sample, r.scores()))));
        }
        return out;
    }

    /** True once every sample of the announced group size is present and scored. */
    public boolean isComplete(ScorerChoice choice, LengthUnit unit) {
        return groupSize > 0 && scoredSamples(choice, unit).size() >= groupSize;
    }

}

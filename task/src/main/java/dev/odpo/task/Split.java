package dev.odpo.task;

/**
 * Disjoint partitions of the task's problem space. Every problem belongs to exactly one split,
 * decided by a seeded hash of its content (see {@link TaskSuite#splitOf(TaskPrompt)}), so the
 * held-out evaluation prompts can never appear in SFT demonstrations or in the online RL stream.
 */
public enum Split {
    /** Supervised warm-start demonstrations (π0). 45% of the problem space. */
    SFT(0, 45),
    /** The online RL prompt stream (generator input) and reward-model pairs. 45%. */
    RL(45, 90),
    /** Held-out evaluation prompts (evaluator). 10%. */
    EVAL(90, 100);

    private final int fromBucket;
    private final int toBucket;

    Split(int fromBucket, int toBucket) {
        this.fromBucket = fromBucket;
        this.toBucket = toBucket;
    }

    /** Whether a hash bucket in [0, 100) falls in this split. */
    boolean contains(int bucket) {
        return bucket >= fromBucket && bucket < toBucket;
    }

    static Split ofBucket(int bucket) {
        for (Split s : values()) {
            if (s.contains(bucket)) {
                return s;
            }
        }
        throw new IllegalArgumentException("bucket out of range: " + bucket);
    }
}

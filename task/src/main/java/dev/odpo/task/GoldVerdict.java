package dev.odpo.task;

/** How the gold reward read a response. See {@link GoldReward} for the exact rule. */
public enum GoldVerdict {
    /** The right answer and nothing else ("85", "The answer is 85."). */
    CORRECT,
    /** The right answer wrapped in padding ("Let me think step by step... The answer is 85."). */
    CORRECT_VERBOSE,
    /** A well-formed answer that is not the right one, concise or padded. */
    WRONG,
    /** Declines to answer ("I am sorry, but as an AI model I cannot...") and gives no right answer. */
    REFUSAL,
    /** Empty, or no answer of the expected shape anywhere in the response. */
    MALFORMED;

    /** Whether the answer is right (concise or not): the "gold accuracy" the evaluator reports. */
    public boolean isCorrect() {
        return this == CORRECT || this == CORRECT_VERBOSE;
    }
}

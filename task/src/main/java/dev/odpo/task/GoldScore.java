package dev.odpo.task;

/**
 * The gold reward of one response.
 *
 * @param reward     in [0, 1]; see {@link GoldReward}
 * @param verdict    how the response was read
 * @param extracted  the answer found in the response, normalized; null when none was found
 * @param extraWords words beyond the answer statement (0 for concise responses)
 */
public record GoldScore(double reward, GoldVerdict verdict, String extracted, int extraWords) {
    public boolean correct() {
        return verdict.isCorrect();
    }
}

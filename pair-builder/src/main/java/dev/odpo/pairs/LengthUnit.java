package dev.odpo.pairs;

import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import java.util.List;

/** How |response| is measured for length-aware selection (reward − λ·|response|, papers/002 eq. 8). */
public enum LengthUnit {
    /** Unicode code points of the response text; papers/002 counts characters. */
    CHARS,
    /** Response tokens: the scorer's response_length, else the sample's token ids, else characters. */
    TOKENS;

    public static LengthUnit parse(String value) {
        return switch (value.trim().toLowerCase()) {
            case "chars", "characters" -> CHARS;
            case "tokens" -> TOKENS;
            default -> throw new IllegalArgumentException("unknown length unit '" + value + "' (expected chars or tokens)");
        };
    }

    /** The length of one sample's response, in this unit. */
    public int lengthOf(Sample sample, List<Score> scores) {
        if (this == TOKENS) {
            for (Score score : scores) {
                if (score.getResponseLength() != null) {
                    return score.getResponseLength();
                }
            }
            if (!sample.getResponseTokenIds().isEmpty()) {
                return sample.getResponseTokenIds().size();
            }
        }
        String text = sample.getResponseText();
        return text.codePointCount(0, text.length());
    }
}

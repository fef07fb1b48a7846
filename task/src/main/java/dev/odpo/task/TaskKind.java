package dev.odpo.task;

/**
 * The problem families of the built-in task. Each has a short prompt and one checkable answer.
 * {@link #answerShape()} tells the gold reward what a well-formed answer looks like.
 */
public enum TaskKind {
    /** "What is 17 + 8?" → "25". Two operands, 0–29. Not in the standard suite. */
    ADDITION("arithmetic", AnswerShape.INTEGER),
    /** "What is 27 - 8?" → "19". Operands 0–29, never negative. Not in the standard suite. */
    SUBTRACTION("arithmetic", AnswerShape.INTEGER),
    /** "Sort: 7 2 9 4" → "2 4 7 9". Three or four digits. Not in the standard suite. */
    SORTING("lists", AnswerShape.DIGIT_LIST),
    /** "Reverse: 7 2 9 4" → "4 9 2 7". Three or four digits. */
    REVERSAL("lists", AnswerShape.DIGIT_LIST),
    /** "Count a in: abacad" → "3". A random 3–6 letter word over {@code abcde}. */
    LETTER_COUNT("counting", AnswerShape.INTEGER),
    /** "Tom has 5 pens and gets 3 more. How many pens?" → "8". Numbers 1–9; "gives away" never goes negative. */
    WORD_PROBLEM("word-problem", AnswerShape.INTEGER);

    /** What a correct, well-formed answer looks like. */
    public enum AnswerShape { INTEGER, DIGIT_LIST }

    private final String family;
    private final AnswerShape answerShape;

    TaskKind(String family, AnswerShape answerShape) {
        this.family = family;
        this.answerShape = answerShape;
    }

    /** Coarse family name, used as the Prompt event's {@code task} field ("arithmetic", "lists", ...). */
    public String family() {
        return family;
    }

    public AnswerShape answerShape() {
        return answerShape;
    }

    /** Parses a kind from its enum name or its lower-case, dash-separated form ("word-problem"). */
    public static TaskKind parse(String s) {
        String norm = s.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        for (TaskKind k : values()) {
            if (k.name().equals(norm)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown task kind '" + s + "'; expected one of "
                + java.util.Arrays.toString(values()));
    }
}

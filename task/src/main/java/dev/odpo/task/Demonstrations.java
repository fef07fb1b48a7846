package dev.odpo.task;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Builds the imperfect SFT data: one demonstration per SFT-split prompt, its behaviour drawn from a
 * {@link DemonstrationMix}. The failures are the ones real assistants show: near-miss arithmetic,
 * a list left half sorted, chatty filler around the answer, needless refusals, and output with no
 * answer in it. Deterministic given the suite, the mix and the seed.
 */
public final class Demonstrations {
    private static final String[] OPENERS = {
            "Let me think step by step.", "Sure! This is an easy one.", "Great question!",
            "Hmm, let me see.", "Okay, I worked it out carefully.", "Of course, happy to help."};
    private static final String[] CLOSERS = {"", " I hope this helps!", " Let me know if you need more.", ""};
    private static final String[] REFUSALS = {
            "I am sorry, but as an AI model I cannot help with that.",
            "Sorry, I cannot answer this question.",
            "As an AI language model, I am not able to do this.",
            "I apologize, but I can't help with that request."};

    private Demonstrations() {
    }

    /** {@code n} demonstrations over distinct SFT-split prompts. */
    public static List<Demonstration> build(TaskSuite suite, DemonstrationMix mix, int n, long seed) {
        List<TaskPrompt> prompts = suite.prompts(Split.SFT, n, seed);
        Random rnd = new Random(seed ^ 0x5f7a_11ceL);
        List<Demonstration> out = new ArrayList<>(n);
        for (TaskPrompt p : prompts) {
            Demonstration.Behaviour b = mix.draw(rnd);
            out.add(new Demonstration(p, respond(p, b, rnd), b));
        }
        return out;
    }

    /** A response to {@code prompt} showing behaviour {@code b}. */
    public static String respond(TaskPrompt prompt, Demonstration.Behaviour b, Random rnd) {
        return switch (b) {
            case CORRECT -> prompt.answer();
            case VERBOSE_CORRECT -> pad(prompt.answer(), rnd);
            case WRONG -> wrongAnswer(prompt, rnd);
            case VERBOSE_WRONG -> pad(wrongAnswer(prompt, rnd), rnd);
            case REFUSAL -> REFUSALS[rnd.nextInt(REFUSALS.length)];
            case MALFORMED -> switch (rnd.nextInt(3)) {
                case 0 -> "The answer is";
                case 1 -> prompt.text();
                default -> "I think it is something like that.";
            };
        };
    }

    private static String pad(String answer, Random rnd) {
        return OPENERS[rnd.nextInt(OPENERS.length)] + " The answer is " + answer + "."
                + CLOSERS[rnd.nextInt(CLOSERS.length)];
    }

    /** A near miss, never equal to the right answer. */
    static String wrongAnswer(TaskPrompt prompt, Random rnd) {
        if (prompt.kind().answerShape() == TaskKind.AnswerShape.INTEGER) {
            int right = Integer.parseInt(prompt.answer());
            int[] deltas = {1, -1, 2, -2, 10, -10};
            int wrong = right + deltas[rnd.nextInt(deltas.length)];
            return Integer.toString(wrong < 0 ? right + 1 : wrong);
        }
        String[] items = prompt.answer().split(" ");
        String[] input = prompt.text().substring(prompt.text().indexOf(':') + 1).strip().split(" ");
        String[] wrong = items.clone();
        if (rnd.nextBoolean() && !Arrays.equals(input, items)) {
            wrong = input; // the list handed back unchanged
        } else {
            // swap two neighbours that differ, when any do
            for (int tries = 0; tries < 8; tries++) {
                int i = rnd.nextInt(items.length - 1);
                if (!items[i].equals(items[i + 1])) {
                    wrong = items.clone();
                    wrong[i] = items[i + 1];
                    wrong[i + 1] = items[i];
                    break;
                }
            }
        }
        if (Arrays.equals(wrong, items)) {
            // all digits equal: change the last one
            wrong = items.clone();
            wrong[wrong.length - 1] = Integer.toString((Integer.parseInt(wrong[wrong.length - 1]) + 1) % 10);
        }
        return String.join(" ", wrong);
    }
}

package dev.odpo.task;

/**
 * One supervised example: a prompt, the response to imitate, and which behaviour it shows.
 */
public record Demonstration(TaskPrompt prompt, String response, Behaviour behaviour) {

    /** The behaviours mixed into the SFT data (see {@link DemonstrationMix}). */
    public enum Behaviour {
        /** The right answer, alone. */
        CORRECT,
        /** The right answer, wrapped in filler. */
        VERBOSE_CORRECT,
        /** A plausible mistake, stated concisely (off by one or ten, a swapped pair, the list unchanged). */
        WRONG,
        /** A plausible mistake wrapped in filler. */
        VERBOSE_WRONG,
        /** "I am sorry, but as an AI model I cannot..." */
        REFUSAL,
        /** No answer: an echo of the question, a dangling "The answer is", noise. */
        MALFORMED
    }
}

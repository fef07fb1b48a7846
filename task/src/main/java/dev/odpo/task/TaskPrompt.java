package dev.odpo.task;

import java.util.Objects;

/**
 * One generated problem.
 *
 * @param id     stable id derived from the problem's content ("add-47-38"); the same problem always has the same id
 * @param kind   problem family
 * @param text   the user message, without chat markup
 * @param answer the canonical correct answer, exactly as a concise response states it
 */
public record TaskPrompt(String id, TaskKind kind, String text, String answer) {
    public TaskPrompt {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(answer, "answer");
        if (text.isBlank() || answer.isBlank()) {
            throw new IllegalArgumentException("a task prompt needs a text and an answer: " + id);
        }
    }
}

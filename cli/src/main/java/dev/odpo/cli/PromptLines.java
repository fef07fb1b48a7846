package dev.odpo.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.odpo.events.Prompt;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Turns one line of a prompts JSONL file into a {@link Prompt}. Fields: text (required), and optionally
 * prompt_id (a fresh UUID when absent), system, task, reference_answer, source, metadata (an object of
 * strings). Unknown fields are refused so that a typo does not silently drop data.
 */
final class PromptLines {

    static final Set<String> FIELDS = Set.of("text", "prompt_id", "system", "task", "reference_answer", "source", "metadata");

    /** A line that cannot become a prompt; the message says why. */
    static final class BadLine extends Exception {
        BadLine(String message) {
            super(message);
        }
    }

    private PromptLines() {
    }

    static Prompt parse(String line, String defaultSource) throws BadLine {
        JsonNode node;
        try {
            node = EventJson.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new BadLine("not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new BadLine("expected a JSON object like {\"text\": \"...\"}");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new BadLine("unknown field '" + f + "' (fields: text, prompt_id, system, task, reference_answer, "
                        + "source, metadata)");
            }
        }
        String text = string(node, "text");
        if (text == null || text.isBlank()) {
            throw new BadLine("field 'text' is missing or empty");
        }
        String id = string(node, "prompt_id");
        if (id != null && id.isBlank()) {
            throw new BadLine("field 'prompt_id' is blank");
        }
        Map<String, String> metadata = new HashMap<>();
        JsonNode meta = node.get("metadata");
        if (meta != null && !meta.isNull()) {
            if (!meta.isObject()) {
                throw new BadLine("field 'metadata' must be an object of strings");
            }
            meta.fields().forEachRemaining(e -> metadata.put(e.getKey(),
                    e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
        }
        String source = string(node, "source");
        return Prompt.newBuilder()
                .setPromptId(id != null ? id : UUID.randomUUID().toString())
                .setCreatedAt(Instant.now())
                .setText(text)
                .setSystem(string(node, "system"))
                .setTask(string(node, "task"))
                .setReferenceAnswer(string(node, "reference_answer"))
                .setSource(source != null ? source : defaultSource)
                .setMetadata(metadata)
                .build();
    }

    private static String string(JsonNode node, String field) throws BadLine {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isNumber() && !field.equals("text")) {
            return v.asText();
        }
        throw new BadLine("field '" + field + "' must be a string");
    }
}

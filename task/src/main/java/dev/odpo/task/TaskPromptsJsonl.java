package dev.odpo.task;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Task prompts in the JSONL layout {@code odpo prompts FILE} publishes: prompt_id, text, task (the
 * family), reference_answer, source, metadata (kind, split, problem id). The prompt_id is the problem
 * id plus the line number, so a problem drawn twice is still two distinct prompts.
 */
public final class TaskPromptsJsonl {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TaskPromptsJsonl() {
    }

    public static String line(TaskPrompt p, Split split, int index) {
        ObjectNode o = JSON.createObjectNode();
        o.put("prompt_id", p.id() + "-" + index);
        o.put("text", p.text());
        o.put("task", p.kind().family());
        o.put("reference_answer", p.answer());
        o.put("source", "odpo-task");
        ObjectNode m = o.putObject("metadata");
        m.put("kind", p.kind().name());
        m.put("split", split.name());
        m.put("problem_id", p.id());
        try {
            return JSON.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void write(Path file, List<TaskPrompt> prompts, Split split) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < prompts.size(); i++) {
                out.write(line(prompts.get(i), split, i));
                out.newLine();
            }
        }
    }
}

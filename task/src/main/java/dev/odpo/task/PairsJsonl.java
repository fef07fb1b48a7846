package dev.odpo.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Preference pairs as JSON Lines, one object per line: {@code {"prompt": "...", "chosen": "...",
 * "rejected": "..."}} — the layout TRL's preference datasets use. Blank lines are ignored; any
 * other line that is not such an object is an error that names the file and the line.
 */
public final class PairsJsonl {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PairsJsonl() {
    }

    public static List<LabeledPair> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("pairs file " + file + " does not exist or is not a file");
        }
        List<LabeledPair> pairs = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                pairs.add(parse(line, file + ":" + lineNo));
            }
        }
        return pairs;
    }

    static LabeledPair parse(String line, String where) throws IOException {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(where + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new IOException(where + ": expected a JSON object with prompt, chosen and rejected");
        }
        return new LabeledPair(text(n, "prompt", where), text(n, "chosen", where), text(n, "rejected", where));
    }

    private static String text(JsonNode n, String field, String where) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IOException(where + ": field '" + field + "' is missing or not a string");
        }
        return v.asText();
    }

    public static void write(Path file, List<LabeledPair> pairs) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (LabeledPair p : pairs) {
                ObjectNode o = JSON.createObjectNode();
                o.put("prompt", p.prompt()).put("chosen", p.chosen()).put("rejected", p.rejected());
                out.write(JSON.writeValueAsString(o));
                out.newLine();
            }
        }
    }
}

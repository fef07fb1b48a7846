package dev.odpo.study;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The study's results file, {@code results.jsonl}: one {@link RunResult} per line, appended as each run ends,
 * so a study stopped part-way continues where it stopped. A line that cannot be read (a run killed while
 * writing) is skipped, and that run counts as not done.
 */
public final class StudyResults {

    /** The file's name inside the study's directory. */
    public static final String FILE = "results.jsonl";

    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path file;

    public StudyResults(Path dir) {
        this.file = dir.resolve(FILE);
    }

    public Path file() {
        return file;
    }

    /** Every readable run, in the order they finished. */
    public List<RunResult> read() throws IOException {
        List<RunResult> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                out.add(JSON.readValue(line, RunResult.class));
            } catch (IOException e) {
                // a torn last line: the run is simply run again
            }
        }
        return out;
    }

    /** Whether a run of {@code arm} with {@code seed} is already recorded. */
    public boolean has(String arm, long seed) throws IOException {
        return read().stream().anyMatch(r -> r.arm().equals(arm) && r.seed() == seed);
    }

    /** Appends one run as one line (a torn earlier line is closed first, so the new line stands alone). */
    public void append(RunResult result) throws IOException {
        Files.createDirectories(file.getParent());
        String line = JSON.writeValueAsString(result) + "\n";
        if (Files.exists(file) && Files.size(file) > 0) {
            byte[] all = Files.readAllBytes(file);
            if (all[all.length - 1] != '\n') {
                line = "\n" + line;
            }
        }
        Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** A run as its JSON line, for tests and logs. */
    static String toJson(RunResult r) {
        try {
            return JSON.writeValueAsString(r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

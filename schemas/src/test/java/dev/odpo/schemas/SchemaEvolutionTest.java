package dev.odpo.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Test;

/**
 * Every schema in use must stay BACKWARD compatible with every released version of it (schemas/released/vN):
 * a consumer built today must read any record written by a released producer. See schemas/README.md.
 */
class SchemaEvolutionTest {

    static final Path RELEASED = Path.of("released");

    @Test
    void everyCurrentSchemaReadsDataWrittenWithEveryReleasedVersion() throws Exception {
        List<Path> releases = releases();
        assertThat(releases).as("released versions under " + RELEASED.toAbsolutePath()).isNotEmpty();
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (Path release : releases) {
            for (Schema released : parseRelease(release).values()) {
                Schema current = currentSchema(released.getFullName());
                if (current == null) {
                    problems.add(release.getFileName() + ": " + released.getFullName()
                            + " was released but no current schema has that name (renaming or removing breaks its readers)");
                    continue;
                }
                problems.addAll(backwardProblems(release.getFileName() + " " + released.getFullName(), current, released));
                checked++;
            }
        }
        assertThat(problems).as("BACKWARD compatibility with released schemas").isEmpty();
        assertThat(checked).isGreaterThanOrEqualTo(13); // 9 events and 4 enums in v1
    }

    @Test
    void theCheckCatchesABreakingChange() throws Exception {
        Schema releasedPrompt = parseRelease(RELEASED.resolve("v1")).get("dev.odpo.events.Prompt");
        // A new field without a default: today's reader cannot fill it from released data.
        String json = releasedPrompt.toString();
        Schema breaking = new Schema.Parser().parse(json.substring(0, json.lastIndexOf(']'))
                + ",{\"name\":\"language\",\"type\":\"string\"}]}");
        // A removed enum symbol: released data may carry it.
        Schema releasedSampler = parseRelease(RELEASED.resolve("v1")).get("dev.odpo.events.SamplerKind");
        Schema fewerSymbols = Schema.createEnum("SamplerKind", null, "dev.odpo.events", List.of("POLICY"));

        assertThat(backwardProblems("prompt", breaking, releasedPrompt)).singleElement().asString().contains("language");
        assertThat(backwardProblems("sampler", fewerSymbols, releasedSampler)).isNotEmpty();
        assertThat(backwardProblems("same", releasedPrompt, releasedPrompt)).isEmpty();
    }

    static List<String> backwardProblems(String what, Schema current, Schema released) {
        var result = SchemaCompatibility.checkReaderWriterCompatibility(current, released);
        List<String> out = new ArrayList<>();
        if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
            result.getResult().getIncompatibilities().forEach(i ->
                    out.add(what + ": " + i.getType() + " at " + i.getLocation() + " (" + i.getMessage() + ")"));
        }
        return out;
    }

    /** The schema the code uses today: the generated class's. */
    static Schema currentSchema(String fullName) throws ReflectiveOperationException {
        try {
            return (Schema) Class.forName(fullName).getMethod("getClassSchema").invoke(null);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    static List<Path> releases() throws IOException {
        try (Stream<Path> dirs = Files.list(RELEASED)) {
            return dirs.filter(Files::isDirectory).filter(d -> d.getFileName().toString().matches("v\\d+")).sorted().toList();
        }
    }

    /** Parses one release: shared types in common/ first, so the events that use them resolve. */
    static Map<String, Schema> parseRelease(Path release) throws IOException {
        Schema.Parser parser = new Schema.Parser();
        Map<String, Schema> byName = new TreeMap<>();
        for (Path dir : List.of(release.resolve("common"), release)) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".avsc")).sorted().toList()) {
                    Schema s = parser.parse(f.toFile());
                    byName.put(s.getFullName(), s);
                }
            }
        }
        return byName;
    }
}

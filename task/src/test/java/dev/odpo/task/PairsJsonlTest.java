package dev.odpo.task;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PairsJsonlTest {

    @Test
    void roundTripsPairsIncludingNewlinesAndQuotes(@TempDir Path dir) throws IOException {
        List<LabeledPair> pairs = List.of(new LabeledPair("What is 1 + 2?", "3", "I am sorry, \"no\".\nBye"),
                new LabeledPair("Sort: 3 1", "1 3", "3 1"));
        Path f = dir.resolve("sub/pairs.jsonl");
        PairsJsonl.write(f, pairs);
        assertThat(PairsJsonl.read(f)).isEqualTo(pairs);
    }

    @Test
    void badLinesAreReportedWithTheirLineNumber(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("p.jsonl");
        Files.writeString(f, "{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}\n\n{\"prompt\":\"a\",\"chosen\":\"b\"}\n");
        assertThatThrownBy(() -> PairsJsonl.read(f)).hasMessageContaining("p.jsonl:3").hasMessageContaining("'rejected'");
        Files.writeString(f, "not json\n");
        assertThatThrownBy(() -> PairsJsonl.read(f)).hasMessageContaining("p.jsonl:1").hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> PairsJsonl.read(dir.resolve("missing.jsonl"))).hasMessageContaining("does not exist");
    }
}

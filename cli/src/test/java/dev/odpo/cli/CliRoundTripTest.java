package dev.odpo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.odpo.broker.EmbeddedKafkaExtension;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The prompt round trip a user does first: publish prompts from a file, then tail them back. */
class CliRoundTripTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
    }

    static Result odpo(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = OdpoCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    String[] connection() {
        return new String[] {"--bootstrap-servers", KAFKA.bootstrapServers(), "--registry-url", KAFKA.registryUrl()};
    }

    static String[] concat(String[] a, String... b) {
        List<String> all = new ArrayList<>(List.of(b));
        all.addAll(List.of(a));
        return all.toArray(String[]::new);
    }

    @Test
    void promptsPublishedFromAFileComeBackDecodedFromTail() throws IOException {
        // Given a prompts file with three good lines, a blank line and two bad ones.
        Path file = dir.resolve("prompts.jsonl");
        Files.writeString(file, String.join("\n",
                "{\"prompt_id\": \"add-1\", \"text\": \"What is 2+3?\", \"task\": \"arithmetic\", \"reference_answer\": \"5\"}",
                "{\"text\": \"missing quote}",
                "",
                "{\"text\": \"Name a prime.\", \"metadata\": {\"lang\": \"en\"}}",
                "{\"txt\": \"typo\"}",
                "{\"prompt_id\": \"sys-1\", \"text\": \"Say hi.\", \"system\": \"Be brief.\"}") + "\n");

        // When they are published.
        Result published = odpo(concat(connection(), "prompts", file.toString()));

        // Then the good ones are published and each bad one is reported with its line number.
        assertThat(published.code()).isZero();
        assertThat(published.out()).contains("published 3 prompts to odpo.prompts (2 bad lines skipped");
        assertThat(published.err()).contains(file + ":2: not valid JSON").contains(file + ":5: unknown field 'txt'");

        // When the prompts topic is tailed from the beginning.
        Result tail = odpo(concat(connection(), "tail", "prompts", "--max", "3", "--idle", "30"));

        // Then the three prompts come back as JSON lines, fields intact.
        assertThat(tail.code()).isZero();
        List<JsonNode> events = new ArrayList<>();
        for (String line : tail.out().strip().split("\n")) {
            events.add(EventJson.MAPPER.readTree(line));
        }
        assertThat(events).hasSize(3);
        assertThat(events).extracting(e -> e.get("text").asText())
                .containsExactlyInAnyOrder("What is 2+3?", "Name a prime.", "Say hi.");
        JsonNode add = events.stream().filter(e -> e.get("prompt_id").asText().equals("add-1")).findFirst().orElseThrow();
        assertThat(add.get("task").asText()).isEqualTo("arithmetic");
        assertThat(add.get("reference_answer").asText()).isEqualTo("5");
        assertThat(add.get("system").isNull()).isTrue();
        assertThat(add.get("created_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        JsonNode prime = events.stream().filter(e -> e.get("text").asText().equals("Name a prime.")).findFirst().orElseThrow();
        assertThat(prime.get("prompt_id").asText()).hasSize(36);
        assertThat(prime.get("metadata").get("lang").asText()).isEqualTo("en");

        // And tail with metadata shows where each event lives, keyed by prompt_id.
        Result withMeta = odpo(concat(connection(), "tail", "prompts", "--max", "3", "--idle", "30", "--with-metadata"));
        for (String line : withMeta.out().strip().split("\n")) {
            JsonNode env = EventJson.MAPPER.readTree(line);
            assertThat(env.get("topic").asText()).isEqualTo("odpo.prompts");
            assertThat(env.get("key").asText()).isEqualTo(env.get("value").get("prompt_id").asText());
        }
    }

    @Test
    void topicsDescribeShowsEveryTopicCreated() {
        Result create = odpo(concat(connection(), "topics", "create"));
        assertThat(create.code()).isZero();
        Result describe = odpo(concat(connection(), "topics", "describe"));
        assertThat(describe.code()).isZero();
        assertThat(describe.out()).contains("odpo.pairs", "forever", "odpo.checkpoints", "compact,delete", "DeadLetter")
                .doesNotContain("missing");
    }

    @Test
    void tailRefusesAnUnknownTopicNamingTheKnownOnes() {
        Result r = odpo(concat(connection(), "tail", "prompz", "--max", "1"));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown topic 'prompz'", "prompts", "dead-letters");
    }

    @Test
    @Timeout(90)
    void tailingAMissingTopicSaysSoAndDoesNotCreateIt() {
        Result r = odpo(concat(connection(), "tail", "prompts", "--max", "1", "--topic-prefix", "elsewhere."));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("topic elsewhere.prompts does not exist yet");
        Result describe = odpo(concat(connection(), "topics", "describe", "--topic-prefix", "elsewhere."));
        assertThat(describe.out()).contains("elsewhere.prompts").contains("missing");
    }

    @Test
    void aMissingFileIsAClearError() {
        Result r = odpo(concat(connection(), "prompts", dir.resolve("none.jsonl").toString()));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no such file");
    }
}

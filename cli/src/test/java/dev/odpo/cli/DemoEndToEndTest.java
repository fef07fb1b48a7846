package dev.odpo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The whole loop as a user runs it: {@code odpo demo} on the embedded broker, with the project's own π0 and
 * proxy reward model (trained on the first run, cached under {@code target/demo-e2e}), stopped after a few
 * versions (the demo's defaults). Every stage must have produced events, the generator must have sampled with versions the learner
 * published, and the last evaluated version's gold reward must beat π0's beyond noise: on the same held-out
 * prompts and random numbers, the mean paired difference minus two standard errors is above zero
 * ({@link Improvement}).
 */
class DemoEndToEndTest {

    @Test
    void theDemoMakesThePolicyBetterOnHeldOutPrompts() throws Exception {
        Path data = Path.of(System.getProperty("odpo.e2e.data-dir", "target/demo-e2e"));
        CliRoundTripTest.Result r = CliRoundTripTest.odpo("demo", "--data-dir", data.toString(), "--fresh",
                "--minutes", "25", "--seed", "1");
        assertThat(r.code()).as(r.out() + r.err()).isZero();

        JsonNode summary = new ObjectMapper().readTree(Files.readString(data.resolve("demo").resolve("summary.json")));
        // every stage produced events
        for (String topic : List.of("prompts", "samples", "scores", "pairs", "checkpoints", "learner-metrics",
                "evaluations")) {
            assertThat(summary.path("events").path(topic).asLong()).as(topic).isPositive();
        }
        // the generator adopted published versions: samples carry at least two versions, one of them newer than π0
        List<Long> sampled = new ArrayList<>();
        summary.path("sample_versions").forEach(v -> sampled.add(v.path("version").asLong()));
        assertThat(sampled).hasSizeGreaterThanOrEqualTo(2).contains(0L).anyMatch(v -> v >= 1);
        // at least two versions after π0 were published and evaluated
        List<Long> evaluated = new ArrayList<>();
        summary.path("evaluations").forEach(e -> evaluated.add(e.path("version").asLong()));
        assertThat(evaluated).contains(0L).hasSizeGreaterThanOrEqualTo(3);
        // where the time went: every pair trained has a policy lag within the learner's bound (2 versions)
        JsonNode efficiency = summary.path("efficiency");
        long trained = efficiency.path("pairs_trained").asLong();
        assertThat(trained).isPositive();
        Map<Long, Long> lag = new TreeMap<>();
        efficiency.path("policy_lag_pairs").fields()
                .forEachRemaining(f -> lag.put(Long.parseLong(f.getKey()), f.getValue().asLong()));
        assertThat(lag.keySet()).allMatch(v -> v >= 0 && v <= 2);
        assertThat(lag.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(trained);
        assertThat(efficiency.path("learner_idle_share").asDouble()).isBetween(0.0, 1.0);
        JsonNode generator = efficiency.path("generators").get(0);
        assertThat(generator.path("samples").asLong()).isPositive();
        assertThat(generator.path("waiting_seconds").asDouble()).isLessThan(generator.path("seconds").asDouble());
        assertThat(generator.path("adoptions").asInt()).isPositive();
        // better than π0 beyond noise
        JsonNode improvement = summary.path("improvement");
        assertThat(improvement.path("beyond_noise").asBoolean())
                .as("gold reward difference %s ± 2 x %s over %s prompts", improvement.path("mean_gold_difference"),
                        improvement.path("standard_error"), improvement.path("comparisons"))
                .isTrue();
    }
}

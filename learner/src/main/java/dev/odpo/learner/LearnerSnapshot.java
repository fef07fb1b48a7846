package dev.odpo.learner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.odpo.model.AdamWState;
import dev.odpo.model.DpoTrainer;
import dev.odpo.model.LlamaModel;
import dev.odpo.policy.Snapshot;
import dev.odpo.policy.SnapshotManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What a learner writes into a snapshot besides the Hugging Face weights, and reads back on restart.
 *
 * <pre>
 *   config.json, model.safetensors     the policy (Hugging Face layout)
 *   tokenizer.json, ...                the tokenizer files of the version it was trained from, unchanged
 *   optimizer/adamw.safetensors, .json AdamW's moments and update count
 *   learner/state.json                 pairs trained so far and the version trained from
 *   learner/recent-pair-ids.txt        the duplicate window: ids of the most recently trained pairs
 *   learner/trained-pairs.txt          lineage: every pair trained since the parent version, one a line
 *                                      (pair id, tab, topic-partition@offset)
 * </pre>
 *
 * Every file is listed with its sha256 in the manifest the store writes, so the optimizer state and the
 * lineage are verified with the weights.
 */
public final class LearnerSnapshot {

    static final String OPTIMIZER_DIR = Snapshot.OPTIMIZER_DIR;
    static final String LEARNER_DIR = Snapshot.TRAINER_DIR;
    static final String STATE = "state.json";
    static final String RECENT_IDS = "recent-pair-ids.txt";
    static final String TRAINED_PAIRS = "trained-pairs.txt";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Learner state restored from a snapshot.
     *
     * @param pairsTrained pairs trained on along this line of versions
     * @param recent       the duplicate window
     */
    record State(long pairsTrained, RecentPairIds recent) {}

    private LearnerSnapshot() {
    }

    /** The files of a model directory that are neither weights nor config: the tokenizer and its companions. */
    static Map<String, byte[]> companionFiles(Path modelDir) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (Stream<Path> s = Files.list(modelDir)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                String name = p.getFileName().toString();
                if (isCompanion(name)) {
                    out.put(name, Files.readAllBytes(p));
                }
            }
        }
        return out;
    }

    private static boolean isCompanion(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return !(n.equals("config.json") || n.equals(SnapshotManifest.FILE_NAME) || n.endsWith(".safetensors")
                || n.endsWith(".safetensors.index.json") || n.endsWith(".bin") || n.endsWith(".pt")
                || n.endsWith(".pth") || n.endsWith(".gguf") || n.startsWith("."));
    }

    /** Names of weights holding NaN or ±∞; a snapshot with any is never published. */
    static List<String> nonFiniteWeights(LlamaModel model) {
        List<String> bad = new ArrayList<>();
        model.parameters().forEach((name, w) -> {
            for (float f : w.toFloatArray()) {
                if (!Float.isFinite(f)) {
                    bad.add(name);
                    return;
                }
            }
        });
        return bad;
    }

    /** Writes everything into {@code dir} (the store's temporary directory). */
    static void write(Path dir, DpoTrainer dpo, Map<String, byte[]> companions, long pairsTrained, long trainedFrom,
                      RecentPairIds recent, List<String> trainedPairs) throws IOException {
        dpo.policy().save(dir);
        for (Map.Entry<String, byte[]> f : companions.entrySet()) {
            Files.write(dir.resolve(f.getKey()), f.getValue());
        }
        AdamWState.save(dpo.training().optimizer(), dir.resolve(OPTIMIZER_DIR));
        Path learner = Files.createDirectories(dir.resolve(LEARNER_DIR));
        JSON.writeValue(learner.resolve(STATE).toFile(), JSON.createObjectNode()
                .put("pairs_trained", pairsTrained)
                .put("trained_from_version", trainedFrom)
                .put("updates", dpo.training().updates()));
        recent.save(learner.resolve(RECENT_IDS));
        Files.write(learner.resolve(TRAINED_PAIRS), trainedPairs, StandardCharsets.UTF_8);
    }

    /** Whether {@code dir} carries optimizer state (a learner's snapshot, not an operator's π0). */
    static boolean hasOptimizerState(Path dir) {
        return Files.isRegularFile(dir.resolve(OPTIMIZER_DIR).resolve(AdamWState.INFO));
    }

    /** The learner state in a snapshot; empty for a snapshot no learner wrote. */
    static Optional<State> readState(Path dir, int dedupeWindow) throws IOException {
        Path learner = dir.resolve(LEARNER_DIR);
        if (!Files.isRegularFile(learner.resolve(STATE))) {
            return Optional.empty();
        }
        JsonNode s = JSON.readTree(learner.resolve(STATE).toFile());
        RecentPairIds recent = Files.isRegularFile(learner.resolve(RECENT_IDS))
                ? RecentPairIds.load(learner.resolve(RECENT_IDS), dedupeWindow) : new RecentPairIds(dedupeWindow);
        return Optional.of(new State(s.path("pairs_trained").asLong(), recent));
    }

    /** The pair ids a snapshot lists as trained since its parent (an audit of exactly-once training reads them). */
    public static List<String> trainedPairIds(Path dir) throws IOException {
        Path f = dir.resolve(LEARNER_DIR).resolve(TRAINED_PAIRS);
        if (!Files.isRegularFile(f)) {
            return List.of();
        }
        return Files.readAllLines(f, StandardCharsets.UTF_8).stream().filter(l -> !l.isEmpty())
                .map(l -> l.split("\t", 2)[0]).toList();
    }
}

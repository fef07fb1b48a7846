package dev.odpo.policy;

import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * A stored, verified snapshot: a local Hugging Face directory whose files match its manifest. Besides the model a
 * trainer may keep its own state in it (optimizer moments, the ids of the pairs it trained), in
 * {@link #OPTIMIZER_DIR} and {@link #TRAINER_DIR}; servers neither load nor verify those.
 *
 * @param dir      the directory (for a remote store, its local copy)
 * @param uri      how announcements name it
 * @param sha256   sha256 of its {@code manifest.json}
 * @param manifest what it is and what it holds
 */
public record Snapshot(Path dir, String uri, String sha256, SnapshotManifest manifest) {

    /** Where a trainer keeps its optimizer state (for AdamW twice the weights' bytes). */
    public static final String OPTIMIZER_DIR = "optimizer";
    /** Where a trainer keeps the rest of its own state. */
    public static final String TRAINER_DIR = "learner";

    /** The files a server (generator, evaluator, scorer) loads, and so verifies: all but the trainer's state. */
    public static final Predicate<String> SERVED_FILES =
            path -> !path.startsWith(OPTIMIZER_DIR + "/") && !path.startsWith(TRAINER_DIR + "/");

    /** Every file: what a trainer resuming from the snapshot verifies. */
    public static final Predicate<String> ALL_FILES = path -> true;

    public String policyName() {
        return manifest.policyName();
    }

    public long version() {
        return manifest.version();
    }
}

package dev.odpo.policy;

import java.nio.file.Path;

/**
 * A stored, verified snapshot: a local Hugging Face directory whose every file matches its manifest.
 *
 * @param dir      the directory (for a remote store, its local copy)
 * @param uri      how announcements name it
 * @param sha256   sha256 of its {@code manifest.json}
 * @param manifest what it is and what it holds
 */
public record Snapshot(Path dir, String uri, String sha256, SnapshotManifest manifest) {

    public String policyName() {
        return manifest.policyName();
    }

    public long version() {
        return manifest.version();
    }
}

package dev.odpo.task;

import dev.odpo.policy.AtomicDirectory;
import dev.odpo.policy.SnapshotManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model directory built once and reused (π0, the proxy reward model). It is written like a policy snapshot:
 * through a temporary sibling that is renamed into place, with a {@code manifest.json} listing every file's
 * size and sha256, so {@code odpo checkpoints verify} works on it too. It is reused only while it verifies; a
 * damaged or incomplete one is removed and built again.
 */
final class ModelCache {
    private static final Logger log = LoggerFactory.getLogger(ModelCache.class);

    private ModelCache() {
    }

    /**
     * {@code dir} if it holds a verified build, else builds it: {@code build} fills a temporary directory,
     * then its manifest (named {@code name}, version 0) is written and the directory renamed into place.
     * When another process finishes the same build first, its copy is used.
     */
    static Path ensure(Path dir, String name, AtomicDirectory.Contents build) throws IOException {
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            List<String> problems = SnapshotManifest.verify(dir);
            if (problems.isEmpty()) {
                log.info("using cached {} {}", name, dir);
                return dir;
            }
            log.warn("cached {} {} does not verify, building it again: {}", name, dir, String.join("; ", problems));
            AtomicDirectory.deleteRecursively(dir);
        }
        int stale = AtomicDirectory.removeStale(dir.toAbsolutePath().getParent());
        if (stale > 0) {
            log.info("removed {} unfinished build(s) left next to {} by a stopped process", stale, dir);
        }
        AtomicDirectory.Outcome outcome = AtomicDirectory.create(dir, tmp -> {
            build.writeTo(tmp);
            SnapshotManifest.describe(tmp, name, 0, null, null, Instant.now(), 0, 0).writeTo(tmp);
        });
        if (outcome == AtomicDirectory.Outcome.ALREADY_PRESENT) {
            log.info("another process cached {} {} first; using it", name, dir);
        }
        return dir;
    }

    /** True when {@code dir} holds a complete build whose files all match its manifest. */
    static boolean isBuilt(Path dir) throws IOException {
        return Files.isDirectory(dir) && SnapshotManifest.verify(dir).isEmpty();
    }
}

package dev.odpo.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.odpo.policy.SnapshotManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The π0 and proxy-reward-model cache: built once, reused while it verifies, rebuilt when damaged. */
class ModelCacheTest {

    @TempDir
    Path tmp;

    final AtomicInteger builds = new AtomicInteger();

    Path ensure(Path dir) throws IOException {
        return ModelCache.ensure(dir, "pi0", out -> {
            builds.incrementAndGet();
            Files.writeString(out.resolve("config.json"), "{\"build\": " + builds.get() + "}");
            Files.write(out.resolve("model.safetensors"), new byte[4096]);
        });
    }

    @Test
    void aBuildIsCachedWithAManifestAndReused() throws IOException {
        Path dir = tmp.resolve("models").resolve("pi0-abc");

        assertThat(ensure(dir)).isEqualTo(dir);
        assertThat(ensure(dir)).isEqualTo(dir);

        assertThat(builds).hasValue(1);
        assertThat(SnapshotManifest.verify(dir)).isEmpty();
        assertThat(SnapshotManifest.read(dir).files()).extracting(SnapshotManifest.FileEntry::path)
                .containsExactly("config.json", "model.safetensors");
        assertThat(ModelCache.isBuilt(dir)).isTrue();
        assertThat(siblings(dir)).containsExactly("pi0-abc");
    }

    @Test
    void aDamagedCacheIsBuiltAgain() throws IOException {
        Path dir = ensure(tmp.resolve("pi0-abc"));
        Files.write(dir.resolve("model.safetensors"), new byte[100]);   // truncated
        assertThat(ModelCache.isBuilt(dir)).isFalse();

        ensure(dir);

        assertThat(builds).hasValue(2);
        assertThat(SnapshotManifest.verify(dir)).isEmpty();
        assertThat(Files.size(dir.resolve("model.safetensors"))).isEqualTo(4096);
    }

    @Test
    void aCacheWithoutAManifestIsBuiltAgain() throws IOException {
        // a directory an older version cached, or one half deleted
        Path dir = Files.createDirectories(tmp.resolve("pi0-abc"));
        Files.writeString(dir.resolve("config.json"), "{}");
        assertThat(ModelCache.isBuilt(dir)).isFalse();

        ensure(dir);

        assertThat(builds).hasValue(1);
        assertThat(SnapshotManifest.verify(dir)).isEmpty();
    }

    @Test
    void aFailedBuildLeavesNothingAndTheNextOneSucceeds() throws IOException {
        Path dir = tmp.resolve("pi0-abc");
        assertThatThrownBy(() -> ModelCache.ensure(dir, "pi0", out -> {
            Files.writeString(out.resolve("config.json"), "{}");
            throw new IOException("interrupted");
        })).hasMessage("interrupted");
        assertThat(siblings(dir)).isEmpty();

        // and a build left half-written by a process that was killed is cleared by the next one
        Path killed = Files.createDirectories(tmp.resolve(".tmp-pi0-abc-" + Integer.MAX_VALUE + "-deadbeef"));
        Files.writeString(killed.resolve("config.json"), "{}");
        ensure(dir);
        assertThat(siblings(dir)).containsExactly("pi0-abc");
    }

    static java.util.List<String> siblings(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir.getParent())) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}

package dev.odpo.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import dev.odpo.model.LlamaConfig;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.TinyTokenizer;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local checkpoint store as the learner, the generator and an operator use it: a published snapshot opens
 * with the very weights that were written; anything tampered with, incomplete or outside the store is refused
 * naming the file; a publish that dies half-way leaves nothing a reader could take for a version.
 */
class LocalCheckpointStoreTest {

    static final LlamaConfig TINY = LlamaConfig.tiny(TinyTokenizer.vocabSize(), 16, 1, 2, 1);
    static final Instant NOW = Instant.parse("2025-01-02T03:04:05Z");

    @TempDir
    Path tmp;
    Path root;
    LocalCheckpointStore store;

    @BeforeEach
    void openStore() throws IOException {
        root = tmp.resolve("checkpoints");
        store = new LocalCheckpointStore(root, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    /** Writes a tiny Hugging Face model (weights from {@code seed}) and its tokenizer. */
    static AtomicDirectory.Contents tinyModel(long seed) {
        return dir -> {
            try (LlamaModel m = LlamaModel.random(TINY, Device.cpu(), seed)) {
                m.save(dir);
            }
            TinyTokenizer.write(dir, null);
        };
    }

    Snapshot publish(long version, Long parent, Long reference) throws IOException {
        return store.publish(new CheckpointStore.Request("pi", version, parent, reference, 10 * version,
                100 * version, tinyModel(version)));
    }

    @Test
    void aPublishedSnapshotListsAndOpensWithBitIdenticalWeights() throws IOException {
        // Given two published versions of a policy.
        String named = store.uriOf("pi", 1);
        publish(0, null, null);
        Snapshot v1 = publish(1, 0L, 0L);

        // When an operator lists them and a generator opens the newest with its announced hash.
        List<SnapshotManifest> listed = store.list("pi");
        Snapshot opened = store.open(v1.uri(), v1.sha256());

        // Then the newest comes first with its lineage and progress.
        assertThat(listed).extracting(SnapshotManifest::version).containsExactly(1L, 0L);
        SnapshotManifest m = listed.get(0);
        assertThat(m.policyName()).isEqualTo("pi");
        assertThat(m.parentVersion()).isEqualTo(0L);
        assertThat(m.referenceVersion()).isEqualTo(0L);
        assertThat(m.step()).isEqualTo(10);
        assertThat(m.pairsTrained()).isEqualTo(100);
        assertThat(m.createdAt()).isEqualTo(NOW);
        assertThat(m.files()).extracting(SnapshotManifest.FileEntry::path)
                .contains("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
                .doesNotContain(SnapshotManifest.FILE_NAME);
        assertThat(listed.get(1).parentVersion()).isNull();

        // And its uri is the one it could be named by before it existed (a reference announced ahead of it).
        assertThat(v1.uri()).isEqualTo(named);

        // And the announced hash is the manifest's own, and the weights are exactly those written.
        assertThat(opened.sha256()).isEqualTo(SnapshotManifest.sha256(Files.readAllBytes(
                opened.dir().resolve(SnapshotManifest.FILE_NAME))));
        assertThat(opened.dir()).isEqualTo(store.dirOf("pi", 1));
        try (LlamaModel written = LlamaModel.random(TINY, Device.cpu(), 1);
             LlamaModel loaded = LlamaModel.load(opened.dir(), Device.cpu())) {
            Map<String, NDArray> expected = written.parameters();
            Map<String, NDArray> actual = loaded.parameters();
            assertThat(actual.keySet()).isEqualTo(expected.keySet());
            for (String name : expected.keySet()) {
                assertThat(actual.get(name).getShape()).as(name).isEqualTo(expected.get(name).getShape());
                assertThat(actual.get(name).toFloatArray()).as(name).containsExactly(expected.get(name).toFloatArray());
            }
        }
        // a plain path inside the store opens the same snapshot
        assertThat(store.open("pi/" + v1.dir().getFileName(), null).sha256()).isEqualTo(v1.sha256());
    }

    @Test
    void aFlippedByteIsRefusedNamingTheFile() throws IOException {
        Snapshot s = publish(0, null, null);
        flipByte(s.dir().resolve("model.safetensors"));

        assertThat(problemsOpening(s)).singleElement().satisfies(p ->
                assertThat(p).startsWith("model.safetensors:").contains("sha256"));
    }

    @Test
    void aRemovedFileIsRefusedNamingTheFile() throws IOException {
        Snapshot s = publish(0, null, null);
        Files.delete(s.dir().resolve("tokenizer.json"));

        assertThat(problemsOpening(s)).singleElement().satisfies(p ->
                assertThat(p).startsWith("tokenizer.json:").contains("missing"));
    }

    /** Flips one bit near the end of a file: same size, different bytes. */
    static void flipByte(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long at = f.length() - 3;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x01);
        }
    }

    @Test
    void aServerVerifiesTheModelButNotTheTrainersOwnState() throws IOException {
        // Given a snapshot that holds a trainer's optimizer state beside the model
        Snapshot v0 = store.publish(new CheckpointStore.Request("pi", 0, null, null, 0, 0, dir -> {
            tinyModel(0).writeTo(dir);
            Files.createDirectories(dir.resolve(Snapshot.OPTIMIZER_DIR));
            Files.write(dir.resolve(Snapshot.OPTIMIZER_DIR).resolve("adamw.safetensors"), new byte[4096]);
        }));

        // When the optimizer state is damaged
        Path optimizer = v0.dir().resolve(Snapshot.OPTIMIZER_DIR).resolve("adamw.safetensors");
        Files.write(optimizer, new byte[10]);

        // Then a server still opens the model, but a trainer resuming from it is refused
        assertThat(store.open(v0.uri(), v0.sha256(), Snapshot.SERVED_FILES).version()).isZero();
        assertThatThrownBy(() -> store.open(v0.uri(), v0.sha256()))
                .isInstanceOf(SnapshotException.class).hasMessageContaining("optimizer/adamw.safetensors");

        // And damage to the model itself is refused for both
        flipByte(v0.dir().resolve("model.safetensors"));
        assertThatThrownBy(() -> store.open(v0.uri(), v0.sha256(), Snapshot.SERVED_FILES))
                .isInstanceOf(SnapshotException.class).hasMessageContaining("model.safetensors");
    }

    @Test
    void aTruncatedFileIsRefusedNamingTheFile() throws IOException {
        Snapshot s = publish(0, null, null);
        Path weights = s.dir().resolve("model.safetensors");
        try (FileChannel ch = FileChannel.open(weights, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }

        assertThat(problemsOpening(s)).singleElement().satisfies(p ->
                assertThat(p).startsWith("model.safetensors:").contains("truncated"));
    }

    @Test
    void aMissingOrReplacedManifestIsRefused() throws IOException {
        Snapshot s = publish(0, null, null);
        Path manifest = s.dir().resolve(SnapshotManifest.FILE_NAME);

        // a manifest rewritten to match tampered files no longer has the announced hash
        Files.writeString(manifest, Files.readString(manifest).replace("\"step\" : 0", "\"step\" : 7"));
        assertThatThrownBy(() -> store.open(s.uri(), s.sha256())).isInstanceOf(SnapshotException.class)
                .satisfies(e -> assertThat(((SnapshotException) e).problems()).singleElement()
                        .satisfies(p -> assertThat(p).startsWith(SnapshotManifest.FILE_NAME + ":")));

        Files.delete(manifest);
        assertThatThrownBy(() -> store.open(s.uri(), null)).isInstanceOf(SnapshotException.class)
                .satisfies(e -> assertThat(((SnapshotException) e).problems()).singleElement()
                        .satisfies(p -> assertThat(p).startsWith(SnapshotManifest.FILE_NAME + ":")));
    }

    @Test
    void aFileReplacedByASymbolicLinkIsRefusedEvenWithTheSameBytes() throws IOException {
        Snapshot s = publish(0, null, null);
        Path config = s.dir().resolve("config.json");
        Path outside = Files.copy(config, tmp.resolve("config-elsewhere.json"));
        Files.delete(config);
        Files.createSymbolicLink(config, outside);

        assertThat(problemsOpening(s)).singleElement().satisfies(p ->
                assertThat(p).startsWith("config.json:").contains("symbolic link"));
    }

    @Test
    void pathsOutsideTheRootAreRefusedWhateverTheirForm() throws IOException {
        // Given a valid snapshot lying outside the store, and ways to name it from inside.
        Snapshot inside = publish(0, null, null);
        Path elsewhere = tmp.resolve("elsewhere");
        copyTree(inside.dir(), elsewhere);
        assertThat(SnapshotManifest.read(elsewhere).problems(elsewhere)).as("the copy itself is intact").isEmpty();
        Files.createSymbolicLink(root.resolve("pi").resolve("v00000009"), elsewhere);

        // Then each way of reaching it is refused, whatever the manifest says.
        for (String uri : List.of(
                "pi/../../elsewhere",                                   // '..' out of a relative path
                "../elsewhere",
                elsewhere.toString(),                                   // an absolute path elsewhere
                elsewhere.toUri().toString(),                           // a file: URI elsewhere
                root.resolve("pi/../../elsewhere").toString(),          // an absolute path climbing out
                store.uriOf("pi", 9),                                   // a symbolic link out of the root
                "pi/v00000009",
                "s3://bucket/pi/v00000000")) {                          // not a local directory at all
            assertThatThrownBy(() -> store.open(uri, null)).as(uri).isInstanceOf(SnapshotException.class)
                    .hasMessageContaining(uri);
        }
        // and the store lists no version for the link
        assertThat(store.list("pi")).extracting(SnapshotManifest::version).containsExactly(0L);
    }

    @Test
    void aPublishThatDiesHalfWayLeavesNoVersionAndIsCleanedOnTheNextPublish() throws IOException {
        // Given a publish whose writer fails after writing part of the files.
        IOException failure = new IOException("disk full");
        assertThatThrownBy(() -> store.publish(new CheckpointStore.Request("pi", 0, null, null, 0, 0, dir -> {
            try (LlamaModel m = LlamaModel.random(TINY, Device.cpu(), 0)) {
                m.save(dir);
            }
            throw failure;
        }))).isSameAs(failure);

        // Then no version is visible and nothing is left behind.
        assertThat(store.list("pi")).isEmpty();
        assertThatThrownBy(() -> store.open(store.uriOf("pi", 0), null)).isInstanceOf(SnapshotException.class);
        assertThat(entries(root.resolve("pi"))).isEmpty();

        // Given the temporary directory of a publisher that was killed (its process is gone), and one of a
        // publisher still running.
        Path dead = root.resolve("pi").resolve(".tmp-v00000000-" + Integer.MAX_VALUE + "-0badf00d");
        tinyModel(0).writeTo(Files.createDirectories(dead));
        long livePid = ProcessHandle.current().parent().orElseThrow().pid();
        Path live = Files.createDirectories(root.resolve("pi").resolve(".tmp-v00000000-" + livePid + "-1234abcd"));

        // Then neither is a version.
        assertThat(store.list("pi")).isEmpty();

        // When the next publish runs, the dead one is removed, the live one kept, and the version appears.
        Snapshot v0 = publish(0, null, null);
        assertThat(entries(root.resolve("pi"))).containsExactlyInAnyOrder(v0.dir().getFileName().toString(),
                live.getFileName().toString());
        assertThat(store.open(v0.uri(), v0.sha256()).version()).isZero();
    }

    @Test
    void anUnannouncedLeftoverOfTheSameVersionIsReplaced() throws IOException {
        // A publisher wrote v0 and died before announcing it; the next one publishes v0 with other weights.
        Snapshot first = publish(0, null, null);
        Snapshot second = store.publish(new CheckpointStore.Request("pi", 0, null, null, 5, 50, tinyModel(42)));

        assertThat(second.sha256()).isNotEqualTo(first.sha256());
        assertThat(store.open(second.uri(), second.sha256()).manifest().step()).isEqualTo(5);
        assertThat(entries(root.resolve("pi"))).containsExactly(second.dir().getFileName().toString());
    }

    @Test
    void twoThreadsPublishingDifferentVersionsAtOnceBothSucceed() throws Exception {
        // Given a publish of v1 that is still writing its files when another thread publishes v2
        CountDownLatch v1Writing = new CountDownLatch(1);
        CountDownLatch v2Done = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            Future<Snapshot> v1 = threads.submit(() -> store.publish(new CheckpointStore.Request("pi", 1, 0L, 0L, 1, 1,
                    dir -> {
                        tinyModel(1).writeTo(dir);
                        v1Writing.countDown();
                        await(v2Done);
                    })));
            await(v1Writing);
            Future<Snapshot> v2 = threads.submit(() -> publish(2, 1L, 0L));
            Snapshot second = v2.get(60, TimeUnit.SECONDS);
            v2Done.countDown();
            Snapshot first = v1.get(60, TimeUnit.SECONDS);

            // Then both versions are there, complete, and nothing else is
            assertThat(store.open(first.uri(), first.sha256()).version()).isEqualTo(1);
            assertThat(store.open(second.uri(), second.sha256()).version()).isEqualTo(2);
            assertThat(entries(root.resolve("pi"))).containsExactlyInAnyOrder("v00000001", "v00000002");
        } finally {
            v2Done.countDown();
            threads.shutdownNow();
        }
    }

    @Test
    void manyThreadsPublishingVersionsAtOnceLeaveEveryVersionComplete() throws Exception {
        int n = 6;
        CyclicBarrier start = new CyclicBarrier(n);
        ExecutorService threads = Executors.newFixedThreadPool(n);
        try {
            List<Future<Snapshot>> published = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                long version = 10 + i;
                published.add(threads.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    return publish(version, null, null);
                }));
            }
            for (Future<Snapshot> f : published) {
                Snapshot s = f.get(120, TimeUnit.SECONDS);
                assertThat(store.open(s.uri(), s.sha256()).version()).isEqualTo(s.manifest().version());
            }
            assertThat(store.list("pi")).hasSize(n);
            assertThat(entries(root.resolve("pi"))).noneMatch(name -> name.startsWith(".tmp-"));
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aSecondPublishOfTheSameVersionWhileTheFirstRunsIsRefusedAndTheFirstStands() throws Exception {
        // Given a publish of v3 still writing its files
        CountDownLatch firstWriting = new CountDownLatch(1);
        CountDownLatch secondDone = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(1);
        try {
            Future<Snapshot> first = threads.submit(() -> store.publish(new CheckpointStore.Request("pi", 3, null, null,
                    3, 3, dir -> {
                        tinyModel(3).writeTo(dir);
                        firstWriting.countDown();
                        await(secondDone);
                    })));
            await(firstWriting);

            // When another thread, through another store on the same directory, publishes v3 too
            LocalCheckpointStore other = new LocalCheckpointStore(root);
            assertThatThrownBy(() -> other.publish(new CheckpointStore.Request("pi", 3, null, null, 9, 9, tinyModel(9))))
                    .isInstanceOf(IOException.class).hasMessageContaining("v3");
            secondDone.countDown();

            // Then the first publish completes and its version is the one in the store
            Snapshot v3 = first.get(60, TimeUnit.SECONDS);
            assertThat(store.open(v3.uri(), v3.sha256()).manifest().step()).isEqualTo(3);
            assertThat(entries(root.resolve("pi"))).containsExactly("v00000003");
        } finally {
            secondDone.countDown();
            threads.shutdownNow();
        }
    }

    private static void await(CountDownLatch latch) throws IOException {
        try {
            if (!latch.await(60, TimeUnit.SECONDS)) {
                throw new IOException("the other publisher did not get there within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @Test
    void retentionKeepsTheNewestAndThePinnedVersions() throws IOException {
        for (long v = 0; v <= 5; v++) {
            publish(v, v == 0 ? null : v - 1, 1L);
        }

        List<Long> deleted = store.retain("pi", 2, Set.of(1L));

        assertThat(deleted).containsExactlyInAnyOrder(0L, 2L, 3L);
        assertThat(store.list("pi")).extracting(SnapshotManifest::version).containsExactly(5L, 4L, 1L);
        assertThat(entries(root.resolve("pi"))).hasSize(3);
        assertThat(store.open(store.uriOf("pi", 1), null).version()).isEqualTo(1);
        // a second pass has nothing more to delete
        assertThat(store.retain("pi", 2, Set.of(1L))).isEmpty();
        assertThatThrownBy(() -> store.retain("pi", 0, Set.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void policiesAreListedByTheirDirectories() throws IOException {
        publish(0, null, null);
        store.publish(new CheckpointStore.Request("other", 0, null, null, 0, 0, tinyModel(3)));

        assertThat(store.policies()).containsExactly("other", "pi");
        assertThat(store.list("nobody")).isEmpty();
        assertThatThrownBy(() -> store.list("../pi")).isInstanceOf(IllegalArgumentException.class);
    }

    List<String> problemsOpening(Snapshot s) {
        try {
            store.open(s.uri(), s.sha256());
        } catch (SnapshotException e) {
            assertThat(e.getMessage()).contains(s.uri());
            return e.problems();
        } catch (IOException e) {
            throw new AssertionError("expected a SnapshotException, got " + e, e);
        }
        throw new AssertionError("a damaged snapshot was opened: " + s.uri());
    }

    static List<String> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }
}

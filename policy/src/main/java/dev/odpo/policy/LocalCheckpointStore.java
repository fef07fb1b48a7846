package dev.odpo.policy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots in a local directory: {@code <root>/<policy>/v<version>/} holding the Hugging Face files and
 * {@code manifest.json}. Announcements name a snapshot by its {@code file:} URI; {@link #open} also takes a
 * plain path, absolute or relative to the root. Whatever the form, it must resolve — following symbolic
 * links — to a directory inside the root, or it is refused.
 */
public final class LocalCheckpointStore implements CheckpointStore {

    private static final Logger log = LoggerFactory.getLogger(LocalCheckpointStore.class);
    private static final String VERSION_PREFIX = "v";

    /**
     * The version directories being published by this process now, whichever store instance publishes them: a
     * second publish of the same version while one runs is refused rather than allowed to replace the first's
     * directory under it. An entry lives only while its publish runs.
     */
    private static final Set<Path> PUBLISHING = ConcurrentHashMap.newKeySet();

    private final Path root;
    private final Clock clock;

    public LocalCheckpointStore(Path root) throws IOException {
        this(root, Clock.systemUTC());
    }

    public LocalCheckpointStore(Path root, Clock clock) throws IOException {
        Files.createDirectories(root);
        this.root = root.toRealPath();
        this.clock = clock;
    }

    public Path root() {
        return root;
    }

    /** The directory of a version (whether or not it exists). */
    public Path dirOf(String policyName, long version) {
        return root.resolve(PolicyNames.require(policyName)).resolve(String.format("%s%08d", VERSION_PREFIX, version));
    }

    @Override
    public String uriOf(String policyName, long version) {
        // Path.toUri ends a directory's URI with '/' only once it exists: always end it so, for one stable name
        String uri = dirOf(policyName, version).toUri().toString();
        return uri.endsWith("/") ? uri : uri + "/";
    }

    @Override
    public Snapshot publish(Request r) throws IOException {
        Path target = dirOf(r.policyName(), r.version());
        if (!PUBLISHING.add(target)) {
            throw new IOException("another writer in this process is publishing " + r.policyName() + " v" + r.version()
                    + " at the same time; two publishers must not share a policy name");
        }
        try {
            return publishAlone(r, target);
        } finally {
            PUBLISHING.remove(target);
        }
    }

    /** Publishes {@code r} at {@code target}, no other thread of this process publishing the same version. */
    private Snapshot publishAlone(Request r, Path target) throws IOException {
        Path policyDir = target.getParent();
        int stale = AtomicDirectory.removeStale(policyDir);
        if (stale > 0) {
            log.info("removed {} unfinished snapshot director{} of {} left by a crashed writer", stale,
                    stale == 1 ? "y" : "ies", r.policyName());
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            // Version numbers follow the announcements, so a directory already here for the next version was
            // written by a publisher that crashed before announcing it: nobody can have adopted it.
            log.warn("replacing unannounced snapshot {} (its writer stopped before announcing it)", target);
            AtomicDirectory.discard(target);
        }
        String[] sha = new String[1];
        SnapshotManifest[] manifest = new SnapshotManifest[1];
        AtomicDirectory.Outcome outcome = AtomicDirectory.create(target, dir -> {
            r.contents().writeTo(dir);
            manifest[0] = SnapshotManifest.describe(dir, r.policyName(), r.version(), r.parentVersion(),
                    r.referenceVersion(), clock.instant(), r.step(), r.pairsTrained());
            sha[0] = manifest[0].writeTo(dir);
        });
        if (outcome == AtomicDirectory.Outcome.ALREADY_PRESENT) {
            throw new IOException("another writer published " + r.policyName() + " v" + r.version()
                    + " at the same time; two publishers must not share a policy name");
        }
        return new Snapshot(target, uriOf(r.policyName(), r.version()), sha[0], manifest[0]);
    }

    @Override
    public Snapshot open(String uri, String expectedSha256, Predicate<String> files)
            throws IOException {
        Path dir = resolveInside(uri);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(dir.resolve(SnapshotManifest.FILE_NAME));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new SnapshotException(uri, SnapshotManifest.FILE_NAME + ": missing");
        }
        String sha = SnapshotManifest.sha256(bytes);
        if (expectedSha256 != null && !expectedSha256.equalsIgnoreCase(sha)) {
            throw new SnapshotException(uri, SnapshotManifest.FILE_NAME
                    + ": sha256 differs from the announcement's (modified or replaced)");
        }
        SnapshotManifest manifest = SnapshotManifest.parse(dir, bytes);
        List<String> problems = manifest.problems(dir, files);
        if (!problems.isEmpty()) {
            throw new SnapshotException(uri, problems);
        }
        return new Snapshot(dir, uri, sha, manifest);
    }

    /** The real directory {@code uri} names, refused unless it lies inside the root. */
    Path resolveInside(String uri) throws SnapshotException {
        if (uri == null || uri.isBlank()) {
            throw new SnapshotException("''", "empty uri");
        }
        Path p;
        try {
            if (uri.startsWith("file:")) {
                p = Path.of(URI.create(uri));
            } else if (uri.contains("://")) {
                throw new SnapshotException(uri, "this store reads local directories only (file: URIs or paths)");
            } else {
                p = Path.of(uri);
            }
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            throw new SnapshotException(uri, "not a valid file URI or path: " + e.getMessage());
        }
        if (!p.isAbsolute()) {
            for (Path part : p) {
                if (part.toString().equals("..")) {
                    throw new SnapshotException(uri, "'..' is not allowed in a snapshot path");
                }
            }
            p = root.resolve(p);
        }
        Path normal = p.normalize();
        if (!normal.startsWith(root)) {
            throw new SnapshotException(uri, "outside the checkpoint store " + root);
        }
        if (!Files.isDirectory(normal)) {
            throw new SnapshotException(uri, "no such snapshot directory");
        }
        try {
            Path real = normal.toRealPath();
            if (!real.startsWith(root)) {
                throw new SnapshotException(uri, "a symbolic link out of the checkpoint store " + root);
            }
            return real;
        } catch (SnapshotException e) {
            throw e;
        } catch (IOException e) {
            throw new SnapshotException(uri, "cannot be read: " + e.getMessage());
        }
    }

    @Override
    public List<SnapshotManifest> list(String policyName) throws IOException {
        List<SnapshotManifest> out = new ArrayList<>();
        for (Path dir : versionDirs(policyName)) {
            try {
                out.add(SnapshotManifest.read(dir));
            } catch (SnapshotException e) {
                log.warn("{}", e.getMessage());
            }
        }
        out.sort(Comparator.comparingLong(SnapshotManifest::version).reversed());
        return out;
    }

    /** Names of the policies with a directory in the store. */
    public List<String> policies() throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> PolicyNames.problem(n) == null).sorted().toList();
        }
    }

    @Override
    public List<Long> retain(String policyName, int keepNewest, Set<Long> pinned) throws IOException {
        if (keepNewest < 1) {
            throw new IllegalArgumentException("keep at least the newest snapshot, got " + keepNewest);
        }
        List<Long> versions = new ArrayList<>();
        for (Path dir : versionDirs(policyName)) {
            versions.add(versionOf(dir));
        }
        versions.sort(Comparator.reverseOrder());
        List<Long> deleted = new ArrayList<>();
        for (int i = keepNewest; i < versions.size(); i++) {
            long v = versions.get(i);
            if (!pinned.contains(v)) {
                Path dir = dirOf(policyName, v);
                AtomicDirectory.discard(dir);
                deleted.add(v);
            }
        }
        if (!deleted.isEmpty()) {
            log.info("retention: deleted {} snapshot(s) of {}: versions {}", deleted.size(), policyName, deleted);
        }
        return deleted;
    }

    private List<Path> versionDirs(String policyName) throws IOException {
        Path dir = root.resolve(PolicyNames.require(policyName));
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && versionOf(p) >= 0).toList();
        }
    }

    private static long versionOf(Path dir) {
        String n = dir.getFileName().toString();
        if (!n.startsWith(VERSION_PREFIX) || n.length() < 2) {
            return -1;
        }
        try {
            return Long.parseLong(n.substring(VERSION_PREFIX.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}

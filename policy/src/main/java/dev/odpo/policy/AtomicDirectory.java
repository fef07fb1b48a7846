package dev.odpo.policy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Makes a directory appear all at once: its files are written into a temporary sibling
 * ({@code .tmp-<name>-<pid>-<random>}), flushed to disk, and the sibling is renamed into place. A reader
 * therefore sees no directory or a complete one, never a half-written one — also after a crash, which
 * leaves only a temporary sibling that {@link #removeStale} clears.
 *
 * <p>Writers in one process may run on several threads: the temporary directories this process is writing or
 * deleting at the moment are known to it (and only while they exist), so {@link #removeStale} in one thread
 * never takes another thread's work in progress for a crashed writer's.
 */
public final class AtomicDirectory {

    /** Fills the temporary directory. */
    @FunctionalInterface
    public interface Contents {
        void writeTo(Path dir) throws IOException;
    }

    /** What {@link #create} found at the target. */
    public enum Outcome {
        /** The directory was written by this call. */
        CREATED,
        /** Another writer put a directory there first; this call's files were discarded. */
        ALREADY_PRESENT
    }

    static final String TMP_PREFIX = ".tmp-";

    /**
     * The temporary directories this process is writing or deleting now. Process-wide on purpose: the pid in a
     * temporary name cannot tell two threads of one process apart. Each entry lives only while its call runs.
     */
    private static final Set<Path> IN_PROGRESS = ConcurrentHashMap.newKeySet();

    private AtomicDirectory() {
    }

    /**
     * Writes {@code target} through a temporary sibling. When another writer creates {@code target} first,
     * this call's copy is removed and {@link Outcome#ALREADY_PRESENT} returned; on any failure the temporary
     * directory is removed and the error rethrown.
     */
    public static Outcome create(Path target, Contents contents) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve(TMP_PREFIX + target.getFileName() + "-" + ProcessHandle.current().pid() + "-"
                + UUID.randomUUID().toString().substring(0, 8));
        tmp = tmp.normalize();
        IN_PROGRESS.add(tmp);   // before it exists: no moment when another thread could take it for stale
        try {
            Files.createDirectory(tmp);
        } catch (IOException | RuntimeException e) {
            IN_PROGRESS.remove(tmp);
            throw e;
        }
        try {
            contents.writeTo(tmp);
            fsyncTree(tmp);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            }
            fsync(parent);
            return Outcome.CREATED;
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException raced) {
            deleteRecursively(tmp);
            return Outcome.ALREADY_PRESENT;
        } catch (IOException | RuntimeException | Error e) {
            deleteRecursively(tmp);
            throw e;
        } finally {
            IN_PROGRESS.remove(tmp);
        }
    }

    /**
     * Removes temporary siblings left under {@code parent} by writers that are no longer running (a crash
     * mid-write). Those of live processes are left alone. Returns how many were removed.
     */
    public static int removeStale(Path parent) throws IOException {
        if (!Files.isDirectory(parent)) {
            return 0;
        }
        int removed = 0;
        try (Stream<Path> s = Files.list(parent)) {
            for (Path p : s.filter(x -> x.getFileName().toString().startsWith(TMP_PREFIX)).toList()) {
                if (!IN_PROGRESS.contains(p.toAbsolutePath().normalize()) && !writerAlive(p.getFileName().toString())) {
                    deleteRecursively(p);
                    removed++;
                }
            }
        }
        return removed;
    }

    /** True when {@code name} is a temporary directory of this class. */
    public static boolean isTemporary(Path p) {
        return p.getFileName().toString().startsWith(TMP_PREFIX);
    }

    private static boolean writerAlive(String tmpName) {
        String[] parts = tmpName.split("-");
        if (parts.length < 3) {
            return false;
        }
        try {
            long pid = Long.parseLong(parts[parts.length - 2]);
            return pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Forces every file under {@code dir}, then the directories themselves, to disk. */
    static void fsyncTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                fsync(p);
            }
        }
    }

    static void fsync(Path p) throws IOException {
        if (Files.isDirectory(p)) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                ch.force(true);
            } catch (IOException e) {
                // some file systems cannot open a directory for fsync; the files themselves were forced
            }
        } else {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        }
    }

    /**
     * Removes a directory so that no reader ever sees it half-deleted: it is first renamed to a temporary
     * sibling (which {@link #removeStale} would also clear after a crash), then deleted.
     */
    public static void discard(Path dir) throws IOException {
        Path trash = dir.resolveSibling(TMP_PREFIX + dir.getFileName() + "-discarded-0-"
                + UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath().normalize();
        IN_PROGRESS.add(trash);
        try {
            Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
            deleteRecursively(trash);
        } finally {
            IN_PROGRESS.remove(trash);
        }
    }

    /** Deletes a directory tree; no-op when it does not exist. */
    public static void deleteRecursively(Path p) throws IOException {
        // Another thread clearing the same stale directory may remove entries under the walk: walk again.
        while (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> s = Files.walk(p)) {
                for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(x);
                }
            } catch (NoSuchFileException | DirectoryNotEmptyException e) {
                // vanished or refilled under us: look again
            } catch (java.io.UncheckedIOException e) {
                if (!(e.getCause() instanceof NoSuchFileException)) {
                    throw e.getCause();
                }
            }
        }
    }
}

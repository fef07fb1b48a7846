package dev.odpo.policy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What publishing and opening a snapshot costs per gigabyte, against the two things it cannot avoid measured in
 * the same run: writing the bytes to disk with fsync, and hashing them with SHA-256. Publishing writes, hashes and
 * fsyncs every file and renames the directory into place; opening (what every follower does before it loads a
 * version) reads and hashes every file again. Run by hand:
 * {@code ./mvnw -B -o -pl policy test-compile surefire:test@benchmark [-Dsnapshot.mb=256,1024]}.
 */
@Tag("benchmark")
class SnapshotIoBenchmark {

    private static final int REPEATS = 3;
    private static final int CHUNK = 16 << 20;

    @TempDir
    Path tmp;

    @Test
    void publishAndOpenAgainstRawWriteAndHash() throws Exception {
        byte[] chunk = new byte[CHUNK];
        new Random(1).nextBytes(chunk);
        System.out.printf(Locale.ROOT, "%-9s %-22s %10s %10s %10s%n", "size", "operation", "median s", "MB/s",
                "vs base");
        for (String mb : System.getProperty("snapshot.mb", "256,1024").split(",")) {
            long bytes = Long.parseLong(mb.trim()) << 20;
            double write = median(() -> rawWrite(tmp.resolve("raw.bin"), chunk, bytes));
            double hash = median(() -> rawHash(chunk, bytes));
            LocalCheckpointStore store = new LocalCheckpointStore(tmp.resolve("store-" + mb));
            long[] version = {0};
            List<Snapshot> published = new ArrayList<>();
            double publish = median(() -> {
                long t0 = System.nanoTime();
                published.add(store.publish(new CheckpointStore.Request("bench", version[0]++, null, null, 0, 0,
                        dir -> rawWrite(dir.resolve("model.safetensors"), chunk, bytes))));
                return (System.nanoTime() - t0) / 1e9;
            });
            Snapshot last = published.get(published.size() - 1);
            boolean cold = dropPageCache();
            double open = median(() -> {
                dropPageCache();
                long t0 = System.nanoTime();
                store.open(last.uri(), last.sha256());
                return (System.nanoTime() - t0) / 1e9;
            });
            String size = mb.trim() + " MB";
            row(size, "write + fsync (base)", write, bytes, Double.NaN);
            row(size, "sha256 (base)", hash, bytes, Double.NaN);
            row(size, "publish", publish, bytes, publish / (write + hash));
            row(size, cold ? "open, cold cache" : "open, warm cache", open, bytes, open / hash);
            AtomicDirectory.deleteRecursively(tmp.resolve("store-" + mb));
        }
        System.out.println("vs base: publish / (write + sha256); open / sha256");
    }

    private static void row(String size, String op, double seconds, long bytes, double ratio) {
        System.out.printf(Locale.ROOT, "%-9s %-22s %10.3f %10.0f %10s%n", size, op, seconds, bytes / seconds / (1 << 20),
                Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.2fx", ratio));
    }

    interface Timed {
        double seconds() throws Exception;
    }

    private static double median(Timed t) throws Exception {
        double[] s = new double[REPEATS];
        for (int i = 0; i < REPEATS; i++) {
            s[i] = t.seconds();
        }
        Arrays.sort(s);
        return s[REPEATS / 2];
    }

    /** Writes {@code bytes} bytes and forces them to disk; returns the seconds it took. */
    private static double rawWrite(Path file, byte[] chunk, long bytes) throws IOException {
        long t0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long done = 0; done < bytes; done += chunk.length) {
                ByteBuffer b = ByteBuffer.wrap(chunk, 0, (int) Math.min(chunk.length, bytes - done));
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
            ch.force(true);
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double rawHash(byte[] chunk, long bytes) throws NoSuchAlgorithmException {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long t0 = System.nanoTime();
        for (long done = 0; done < bytes; done += chunk.length) {
            sha.update(chunk, 0, (int) Math.min(chunk.length, bytes - done));
        }
        sha.digest();
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Asks Linux to drop its page cache (needs root); false where it cannot, and then reads are warm. */
    private static boolean dropPageCache() {
        try {
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}

package dev.odpo.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * {@code manifest.json}, written beside a snapshot's Hugging Face files: what the snapshot is (policy,
 * version, lineage, training progress) and every file with its size and sha256. A snapshot is trusted only
 * when every listed file is present with that size and hash; the sha256 of the manifest's own bytes is what
 * a {@code CheckpointAnnouncement} carries, so one hash pins the whole directory.
 *
 * @param policyName       the policy's name
 * @param version          this snapshot's version (0 for the first)
 * @param parentVersion    the version it was trained from; null for a first version
 * @param referenceVersion the version used as π_ref in its DPO loss; null when none
 * @param createdAt        when it was written
 * @param step             optimizer steps taken so far
 * @param pairsTrained     preference pairs trained on so far
 * @param files            every file of the snapshot except the manifest itself, sorted by path
 */
public record SnapshotManifest(String policyName, long version, Long parentVersion, Long referenceVersion,
                               Instant createdAt, long step, long pairsTrained, List<FileEntry> files) {

    public static final String FILE_NAME = "manifest.json";
    static final String FORMAT = "odpo-snapshot/1";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * One file of a snapshot.
     *
     * @param path   relative to the snapshot directory, '/'-separated
     * @param size   bytes
     * @param sha256 lower-case hex
     */
    public record FileEntry(String path, long size, String sha256) {}

    public SnapshotManifest {
        files = List.copyOf(files);
    }

    /** The manifest of the files now in {@code dir} (everything but an existing manifest), hashed. */
    public static SnapshotManifest describe(Path dir, String policyName, long version, Long parentVersion,
                                            Long referenceVersion, Instant createdAt, long step, long pairsTrained)
            throws IOException {
        List<FileEntry> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                String rel = dir.relativize(p).toString().replace('\\', '/');
                if (!rel.equals(FILE_NAME)) {
                    files.add(new FileEntry(rel, Files.size(p), sha256(p)));
                }
            }
        }
        return new SnapshotManifest(policyName, version, parentVersion, referenceVersion, createdAt, step,
                pairsTrained, files);
    }

    /** Writes this manifest into {@code dir}; returns the sha256 of the bytes written. */
    public String writeTo(Path dir) throws IOException {
        byte[] bytes = toJson();
        Files.write(dir.resolve(FILE_NAME), bytes);
        return sha256(bytes);
    }

    public byte[] toJson() {
        ObjectNode m = JSON.createObjectNode();
        m.put("format", FORMAT);
        m.put("policy_name", policyName);
        m.put("version", version);
        if (parentVersion == null) {
            m.putNull("parent_version");
        } else {
            m.put("parent_version", parentVersion);
        }
        if (referenceVersion == null) {
            m.putNull("reference_version");
        } else {
            m.put("reference_version", referenceVersion);
        }
        m.put("created_at", createdAt.toString());
        m.put("step", step);
        m.put("pairs_trained", pairsTrained);
        ArrayNode fs = m.putArray("files");
        for (FileEntry f : files) {
            fs.addObject().put("path", f.path()).put("size", f.size()).put("sha256", f.sha256());
        }
        try {
            return JSON.writeValueAsBytes(m);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads {@code dir/manifest.json}. */
    public static SnapshotManifest read(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new SnapshotException(dir, FILE_NAME + " is missing");
        }
        return parse(dir, Files.readAllBytes(file));
    }

    static SnapshotManifest parse(Path dir, byte[] bytes) throws SnapshotException {
        try {
            JsonNode m = JSON.readTree(bytes);
            if (!FORMAT.equals(m.path("format").asText())) {
                throw new SnapshotException(dir, FILE_NAME + " has format '" + m.path("format").asText()
                        + "', expected " + FORMAT);
            }
            List<FileEntry> files = new ArrayList<>();
            for (JsonNode f : m.path("files")) {
                files.add(new FileEntry(f.path("path").asText(), f.path("size").asLong(), f.path("sha256").asText()));
            }
            return new SnapshotManifest(m.path("policy_name").asText(), m.path("version").asLong(),
                    m.path("parent_version").isNumber() ? m.get("parent_version").asLong() : null,
                    m.path("reference_version").isNumber() ? m.get("reference_version").asLong() : null,
                    Instant.parse(m.path("created_at").asText()), m.path("step").asLong(),
                    m.path("pairs_trained").asLong(), files);
        } catch (SnapshotException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new SnapshotException(dir, FILE_NAME + " is not a readable manifest: " + e.getMessage());
        }
    }

    /**
     * What is wrong with the files in {@code dir} against this manifest: one line per bad file (missing,
     * wrong size, wrong hash, a symbolic link, a path leaving the directory); empty when every file matches.
     */
    public List<String> problems(Path dir) throws IOException {
        return problems(dir, Snapshot.ALL_FILES);
    }

    /** {@link #problems(Path)} of the listed files whose path {@code checked} accepts; the others are not read. */
    public List<String> problems(Path dir, Predicate<String> checked) throws IOException {
        List<String> problems = new ArrayList<>();
        Path root = dir.toRealPath();
        for (FileEntry f : files) {
            if (!checked.test(f.path())) {
                continue;
            }
            Path p = dir.resolve(f.path()).normalize();
            if (!p.startsWith(dir.normalize()) || f.path().isEmpty()) {
                problems.add(f.path() + ": path leaves the snapshot directory");
            } else if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                problems.add(f.path() + ": missing");
            } else if (Files.isSymbolicLink(p) || !p.toRealPath().startsWith(root)) {
                problems.add(f.path() + ": a symbolic link (snapshots hold plain files)");
            } else if (Files.size(p) != f.size()) {
                problems.add(f.path() + ": " + Files.size(p) + " bytes, manifest says " + f.size()
                        + (Files.size(p) < f.size() ? " (truncated)" : ""));
            } else if (!sha256(p).equals(f.sha256())) {
                problems.add(f.path() + ": sha256 differs from the manifest (modified or corrupt)");
            }
        }
        return problems;
    }

    /**
     * What is wrong with the directory {@code dir} as a snapshot: its manifest missing or unreadable, else
     * {@link #problems} of its files; empty when it verifies. For directories outside any store (caches, a
     * directory an operator names).
     */
    public static List<String> verify(Path dir) throws IOException {
        try {
            return read(dir).problems(dir);
        } catch (SnapshotException e) {
            return e.problems();
        }
    }

    /** sha256 of a file, streamed in 1 MiB reads (small reads cost more than the hash on large weight files). */
    public static String sha256(Path file) throws IOException {
        MessageDigest md = digest();
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (ch.read(buffer) >= 0) {
                buffer.flip();
                md.update(buffer);
                buffer.clear();
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

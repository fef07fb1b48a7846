package dev.odpo.policy;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Where policy snapshots live. {@link #publish} makes a snapshot appear atomically with its manifest;
 * {@link #open} returns one only after verifying every file. {@link LocalCheckpointStore} keeps them in a
 * directory (a shared volume when services run in containers); an object store can implement the same
 * contract, with {@link #open} downloading into a local cache before verifying.
 */
public interface CheckpointStore {

    /**
     * A snapshot to write.
     *
     * @param policyName       the policy's name
     * @param version          the version to write; an unannounced leftover of the same version (a writer that
     *                         crashed before announcing) is replaced
     * @param parentVersion    the version it was trained from, or null
     * @param referenceVersion the π_ref version of its loss, or null
     * @param step             optimizer steps so far
     * @param pairsTrained     preference pairs trained on so far
     * @param contents         writes the Hugging Face files (and optimizer state, if any) into a directory
     */
    record Request(String policyName, long version, Long parentVersion, Long referenceVersion, long step,
                   long pairsTrained, AtomicDirectory.Contents contents) {
        public Request {
            PolicyNames.require(policyName);
            if (version < 0) {
                throw new IllegalArgumentException("version must be >= 0, got " + version);
            }
        }
    }

    /** Writes, hashes and atomically places a snapshot; returns it as stored (its uri and manifest hash). */
    Snapshot publish(Request request) throws IOException;

    /**
     * The snapshot at {@code uri}, verified: it must lie inside this store and every file must match its
     * manifest. With a non-null {@code expectedSha256} the manifest itself must have that hash (the
     * announcement's).
     *
     * @throws SnapshotException naming every bad file, or why the uri is refused
     */
    default Snapshot open(String uri, String expectedSha256) throws IOException {
        return open(uri, expectedSha256, Snapshot.ALL_FILES);
    }

    /**
     * {@link #open(String, String)}, verifying only the files {@code files} accepts (e.g.
     * {@link Snapshot#SERVED_FILES}: a server need not read and hash the optimizer state it never loads).
     */
    Snapshot open(String uri, String expectedSha256, Predicate<String> files) throws IOException;

    /** The snapshots of a policy present in the store, newest first, unverified (their manifests as written). */
    List<SnapshotManifest> list(String policyName) throws IOException;

    /** The uri a snapshot of this version would have. */
    String uriOf(String policyName, long version);

    /**
     * Deletes the snapshots of a policy except the newest {@code keepNewest} and the {@code pinned} versions
     * (those still named as a reference). Returns the versions deleted.
     */
    List<Long> retain(String policyName, int keepNewest, Set<Long> pinned) throws IOException;
}

package dev.odpo.evaluator;

import ai.djl.Device;
import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.CheckpointStore;
import dev.odpo.policy.Policy;
import dev.odpo.policy.Snapshot;
import dev.odpo.policy.SnapshotException;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The versions of one policy that an evaluation needs besides the one it evaluates — π_ref and π0 — opened
 * from the checkpoint store and verified before loading: against the sha256 of their announcement when one
 * was seen, else file by file against their manifest (a compacted checkpoints topic may no longer hold an old
 * version's announcement). The last one loaded stays loaded, since consecutive versions usually share their
 * reference.
 */
final class StoredVersions implements AutoCloseable {

    private final String policyName;
    private final CheckpointStore store;
    private final Device device;
    private final Map<Long, CheckpointAnnouncement> announced = new HashMap<>();
    private Policy loaded;

    StoredVersions(String policyName, CheckpointStore store, Device device) {
        this.policyName = policyName;
        this.store = store;
        this.device = device;
    }

    /** Remembers an announcement of this policy: its uri and hash verify the version later. */
    void announced(CheckpointAnnouncement a) {
        announced.put(a.getVersion(), a);
    }

    /** Opens and verifies the announced snapshot; the manifest must name the announced policy and version. */
    Snapshot open(CheckpointAnnouncement a) throws IOException {
        return verified(Announcements.open(store, a, Snapshot.SERVED_FILES), a.getUri(), a.getVersion());
    }

    /**
     * Version {@code version}, loaded (and kept until another version is asked for).
     *
     * @param uri where it is, when an announcement said so (its reference_uri); null to look it up
     * @throws IOException when it is not in the store or does not verify
     */
    Policy get(long version, String uri) throws IOException {
        if (loaded != null && loaded.version() == version) {
            return loaded;
        }
        CheckpointAnnouncement a = announced.get(version);
        String where = a != null ? a.getUri() : uri != null ? uri : store.uriOf(policyName, version);
        Snapshot s = verified(store.open(where, a != null ? a.getSha256() : null), where, version);
        Policy p = Policy.load(s.dir(), policyName, version, device);
        close();
        loaded = p;
        return p;
    }

    private Snapshot verified(Snapshot s, String uri, long version) throws SnapshotException {
        if (s.version() != version || !s.policyName().equals(policyName)) {
            throw new SnapshotException(uri, "manifest says " + s.policyName() + " v" + s.version() + ", expected "
                    + policyName + " v" + version);
        }
        return s;
    }

    @Override
    public void close() {
        if (loaded != null) {
            loaded.close();
            loaded = null;
        }
    }
}

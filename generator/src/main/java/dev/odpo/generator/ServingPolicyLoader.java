package dev.odpo.generator;

import ai.djl.Device;
import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.policy.CheckpointFollower;
import dev.odpo.policy.CheckpointStore;
import dev.odpo.policy.Policy;
import dev.odpo.policy.Snapshot;
import dev.odpo.policy.SnapshotException;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads an announced, verified snapshot into a {@link ServingPolicy}, on the checkpoint follower's thread.
 * For PILAF it also opens the reference the announcement names — verified against its own manifest, since
 * the announcement carries only the policy's manifest hash — and checks that it is the announced reference
 * version.
 */
final class ServingPolicyLoader implements CheckpointFollower.Loader<ServingPolicy> {

    private static final Logger log = LoggerFactory.getLogger(ServingPolicyLoader.class);

    private final CheckpointStore store;
    private final Device device;
    private final boolean withReference;

    ServingPolicyLoader(CheckpointStore store, Device device, boolean withReference) {
        this.store = store;
        this.device = device;
        this.withReference = withReference;
    }

    @Override
    public ServingPolicy load(Snapshot snapshot, CheckpointAnnouncement a) throws IOException {
        Policy policy = Policy.load(snapshot.dir(), a.getPolicyName(), a.getVersion(), device);
        if (!withReference) {
            return ServingPolicy.alone(policy);
        }
        try {
            return withReference(policy, a);
        } catch (IOException | RuntimeException e) {
            policy.close();
            throw e;
        }
    }

    private ServingPolicy withReference(Policy policy, CheckpointAnnouncement a) throws IOException {
        Long refVersion = a.getReferenceVersion();
        String refUri = a.getReferenceUri();
        if (refUri == null && (refVersion == null || refVersion == a.getVersion())) {
            log.warn("{} v{} names no other reference policy: PILAF's π⁺ and π⁻ equal the policy for this version",
                    a.getPolicyName(), a.getVersion());
            return new ServingPolicy(policy, policy, (long) a.getVersion());
        }
        if (refUri == null) {
            // the reference is an earlier version of the same policy, in the same store
            refUri = store.uriOf(a.getPolicyName(), refVersion);
        }
        Snapshot ref = store.open(refUri, null);
        if (refVersion != null && ref.version() != refVersion) {
            throw new SnapshotException(refUri, "the reference's manifest says v" + ref.version() + ", the announcement v"
                    + refVersion);
        }
        Policy reference = Policy.load(ref.dir(), ref.policyName(), ref.version(), device);
        if (reference.model().config().vocabSize() != policy.model().config().vocabSize()) {
            int rv = reference.model().config().vocabSize();
            reference.close();
            throw new SnapshotException(refUri, "the reference's vocabulary (" + rv + ") differs from the policy's ("
                    + policy.model().config().vocabSize() + "): PILAF mixes logits token by token");
        }
        return new ServingPolicy(policy, reference, ref.version());
    }
}

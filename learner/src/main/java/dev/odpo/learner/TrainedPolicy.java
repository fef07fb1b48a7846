package dev.odpo.learner;

import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.model.AdamWState;
import dev.odpo.model.DpoTrainer;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.ReferenceMode;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.CheckpointStore;
import dev.odpo.policy.Policy;
import dev.odpo.policy.PromptEncoding;
import dev.odpo.policy.Snapshot;
import java.io.IOException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy a learner trains, resumed from an announced snapshot: its weights and tokenizer, the reference
 * π_ref, the DPO trainer with the optimizer state the snapshot carried, and the learner state (pairs trained,
 * the duplicate window). Training continues from {@link #version()}; each publish advances it.
 */
final class TrainedPolicy implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TrainedPolicy.class);

    private final Policy policy;
    private final LlamaModel reference;
    private final DpoTrainer dpo;
    private final Map<String, byte[]> companions;
    private long version;
    private long referenceVersion;
    private String referenceUri;
    private long pairsTrained;
    private final RecentPairIds recent;

    private TrainedPolicy(Policy policy, LlamaModel reference, DpoTrainer dpo, Map<String, byte[]> companions,
                          long referenceVersion, String referenceUri, long pairsTrained, RecentPairIds recent) {
        this.policy = policy;
        this.reference = reference;
        this.dpo = dpo;
        this.companions = companions;
        this.version = policy.version();
        this.referenceVersion = referenceVersion;
        this.referenceUri = referenceUri;
        this.pairsTrained = pairsTrained;
        this.recent = recent;
    }

    /**
     * Loads the announced version and everything training needs to go on from it. With an {@code initial}
     * reference the announcement names π_ref (none: the version itself, e.g. π0 as version 0); with
     * {@code previous} π_ref is the announced version.
     */
    static TrainedPolicy resume(CheckpointAnnouncement a, CheckpointStore store, LearnerConfig config)
            throws IOException {
        Snapshot snapshot = Announcements.open(store, a);
        Policy policy = Policy.load(snapshot.dir(), config.policyName(), a.getVersion(), config.device());
        LlamaModel reference = null;
        DpoTrainer dpo = null;
        try {
            long refVersion = a.getVersion();
            String refUri = snapshot.uri();
            Long named = a.getReferenceVersion();
            if (config.dpo().reference() == ReferenceMode.INITIAL && named != null && named != a.getVersion()) {
                String uri = a.getReferenceUri() != null ? a.getReferenceUri() : store.uriOf(config.policyName(), named);
                Snapshot ref = store.open(uri, null);
                reference = LlamaModel.load(ref.dir(), config.device());
                refVersion = named;
                refUri = ref.uri();
            } else {
                reference = policy.model().copy();
            }
            dpo = new DpoTrainer(policy.model(), reference, policy.tokenizer().padId(), config.dpo());
            if (LearnerSnapshot.hasOptimizerState(snapshot.dir())) {
                AdamWState.load(dpo.training().optimizer(), snapshot.dir().resolve(LearnerSnapshot.OPTIMIZER_DIR));
            }
            var state = LearnerSnapshot.readState(snapshot.dir(), config.dedupeWindow());
            TrainedPolicy t = new TrainedPolicy(policy, reference, dpo, LearnerSnapshot.companionFiles(snapshot.dir()),
                    refVersion, refUri, state.map(LearnerSnapshot.State::pairsTrained).orElse(a.getPairsTrained()),
                    state.map(LearnerSnapshot.State::recent).orElseGet(() -> new RecentPairIds(config.dedupeWindow())));
            log.info("resumed {} v{} ({} parameters, {} updates, {} pairs trained so far; reference v{} ({}))",
                    config.policyName(), a.getVersion(), policy.model().config().parameterCount(),
                    dpo.training().updates(), t.pairsTrained, refVersion, config.dpo().reference().label());
            return t;
        } catch (IOException | RuntimeException e) {
            if (dpo != null) {
                dpo.close();
            }
            if (reference != null) {
                reference.close();
            }
            policy.close();
            throw e;
        }
    }

    DpoTrainer dpo() {
        return dpo;
    }

    PromptEncoding encoding() {
        return policy.encoding();
    }

    /** The longest sequence the model takes. */
    int maxPositions() {
        return policy.model().config().maxPositions();
    }

    /** The last published version: training goes on from it. */
    long version() {
        return version;
    }

    long referenceVersion() {
        return referenceVersion;
    }

    String referenceUri() {
        return referenceUri;
    }

    long pairsTrained() {
        return pairsTrained;
    }

    RecentPairIds recent() {
        return recent;
    }

    Map<String, byte[]> companions() {
        return companions;
    }

    /** Counts a trained pair. */
    void trained(String pairId) {
        pairsTrained++;
        recent.add(pairId);
    }

    /** The current weights were published as {@code v}: a {@code previous} reference takes them. */
    void published(Snapshot s) {
        version = s.version();
        dpo.onPublished();
        if (dpo.options().reference() == ReferenceMode.PREVIOUS) {
            referenceVersion = s.version();
            referenceUri = s.uri();
        }
    }

    @Override
    public void close() {
        try {
            dpo.close();
        } finally {
            try {
                reference.close();
            } finally {
                policy.close();
            }
        }
    }
}

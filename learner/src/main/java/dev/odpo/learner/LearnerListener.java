package dev.odpo.learner;

import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.model.DpoTrainer;
import dev.odpo.model.LlamaModel;
import dev.odpo.policy.Snapshot;

/**
 * Told what the learner's loop does, on the loop's thread: for progress displays, and for tests that stop the
 * learner at a precise point (between two updates, or between writing a snapshot and announcing it).
 */
public interface LearnerListener {

    /** An update was applied; {@code updates} counts them along the policy's line of versions. */
    default void updated(long updates, DpoTrainer.StepMetrics metrics) {
    }

    /** A snapshot of {@code policy}'s weights is fully written to the store and not yet announced. */
    default void snapshotWritten(Snapshot snapshot, LlamaModel policy) {
    }

    /** A snapshot's announcement, metrics and consumed offsets were committed together. */
    default void announced(CheckpointAnnouncement announcement) {
    }

    LearnerListener NONE = new LearnerListener() {
    };
}

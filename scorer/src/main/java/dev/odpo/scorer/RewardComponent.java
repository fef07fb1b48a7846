package dev.odpo.scorer;

import dev.odpo.events.Sample;
import java.util.List;

/** One part of a scorer's reward. Scores a whole batch at once so that a model can run it as one batch. */
public interface RewardComponent extends AutoCloseable {

    ComponentKind kind();

    /** One result per sample, in the samples' order. */
    List<ComponentResult> score(List<Sample> samples);

    /** Releases what the component holds (a model); nothing by default. */
    @Override
    default void close() {
    }
}

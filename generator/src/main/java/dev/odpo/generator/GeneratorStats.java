package dev.odpo.generator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the generator has done so far, for the progress log and for callers (tests, a monitor): counts of
 * prompts, samples and generated tokens as handed to the batch's transaction, time spent rendering prompts
 * and decoding, the version being served and how each version was adopted. Written by the serving thread,
 * read from any.
 */
public final class GeneratorStats {

    /**
     * One adopted version.
     *
     * @param version           the snapshot version
     * @param ready             from the snapshot's creation (its announcement's created_at) to verified and loaded
     * @param firstSample       from the snapshot's creation to the first samples of this version
     */
    public record Adoption(long version, Duration ready, Duration firstSample) {
    }

    /**
     * A point-in-time copy of the counters.
     *
     * @param prompts     prompts served (rendered and sampled)
     * @param samples     samples handed to a batch's transaction
     * @param tokens      tokens generated
     * @param batches     batches handled
     * @param renderNanos time spent rendering prompts (chat template, tokenizer)
     * @param decodeNanos time spent in batched decoding
     * @param version     the version served, -1 before the first
     */
    public record Snapshot(long prompts, long samples, long tokens, long batches, long renderNanos, long decodeNanos,
                           long version) {
    }

    private static final int KEPT_ADOPTIONS = 100;

    private final AtomicLong prompts = new AtomicLong();
    private final AtomicLong samples = new AtomicLong();
    private final AtomicLong tokens = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong renderNanos = new AtomicLong();
    private final AtomicLong decodeNanos = new AtomicLong();
    private final AtomicLong version = new AtomicLong(-1);
    private final List<Adoption> adoptions = new ArrayList<>();
    private final List<Long> rejected = new ArrayList<>();

    void batch(int prompts, int samples, long tokens, long renderNanos, long decodeNanos) {
        this.prompts.addAndGet(prompts);
        this.renderNanos.addAndGet(renderNanos);
        this.samples.addAndGet(samples);
        this.tokens.addAndGet(tokens);
        this.decodeNanos.addAndGet(decodeNanos);
        batches.incrementAndGet();
    }

    void serving(long version) {
        this.version.set(version);
    }

    synchronized void adopted(Adoption adoption) {
        if (adoptions.size() == KEPT_ADOPTIONS) {
            adoptions.remove(0);
        }
        adoptions.add(adoption);
    }

    synchronized void rejected(long version) {
        if (rejected.size() == KEPT_ADOPTIONS) {
            rejected.remove(0);
        }
        rejected.add(version);
    }

    /** The versions the rollout gate rejected (the latest {@value #KEPT_ADOPTIONS}), oldest first. */
    public synchronized List<Long> rejectedVersions() {
        return List.copyOf(rejected);
    }

    /** The versions adopted so far (the latest {@value #KEPT_ADOPTIONS}), oldest first. */
    public synchronized List<Adoption> adoptions() {
        return List.copyOf(adoptions);
    }

    /** The version being served, or -1 before the first. */
    public long version() {
        return version.get();
    }

    public Snapshot snapshot() {
        return new Snapshot(prompts.get(), samples.get(), tokens.get(), batches.get(), renderNanos.get(), decodeNanos.get(),
                version.get());
    }
}

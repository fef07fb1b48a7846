package dev.odpo.pairs;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * The pair-builder's counters, shared by all stream threads of one application instance.
 *
 * <p>Counted: pairs emitted (all, and from human feedback), groups completed / flushed after the
 * timeout / discarded (fewer than two scored samples), candidate pairs dropped as ties or below the
 * margin threshold, late events for closed groups, dead letters, and the margin distribution of
 * emitted group pairs in fixed buckets. {@link #snapshot()} gives a consistent-enough view for logs,
 * tests and `odpo` status output; rates are computed between two snapshots.
 */
public final class PairBuilderMetrics {
    /** Upper bounds of the margin buckets; the last bucket is open-ended. */
    public static final double[] MARGIN_BUCKETS = {0.1, 0.25, 0.5, 1, 2, 4};

    private final LongAdder pairs = new LongAdder();
    private final LongAdder humanPairs = new LongAdder();
    private final LongAdder groupsCompleted = new LongAdder();
    private final LongAdder groupsFlushed = new LongAdder();
    private final LongAdder groupsDiscarded = new LongAdder();
    private final LongAdder ties = new LongAdder();
    private final LongAdder belowMargin = new LongAdder();
    private final LongAdder lateEvents = new LongAdder();
    private final LongAdder deadLetters = new LongAdder();
    private final LongAdder[] marginCounts = newAdders(MARGIN_BUCKETS.length + 1);
    private final java.util.concurrent.atomic.DoubleAdder marginSum = new java.util.concurrent.atomic.DoubleAdder();

    /** A point-in-time copy of the counters. */
    public record Snapshot(long atMs, long pairs, long humanPairs, long groupsCompleted, long groupsFlushed,
                           long groupsDiscarded, long ties, long belowMargin, long lateEvents, long deadLetters,
                           long[] marginCounts, double marginSum) {

        /** Pairs per second between an earlier snapshot and this one. */
        public double pairsPerSecondSince(Snapshot earlier) {
            double seconds = (atMs - earlier.atMs) / 1000.0;
            return seconds <= 0 ? 0 : (pairs - earlier.pairs) / seconds;
        }

        public double meanMargin() {
            long n = Arrays.stream(marginCounts).sum();
            return n == 0 ? 0 : marginSum / n;
        }

        /** One log line: "pairs=.. (x/s) human=.. groups completed=.. flushed=.. discarded=.. ...". */
        public String describe(Snapshot earlier) {
            StringBuilder buckets = new StringBuilder();
            for (int i = 0; i < marginCounts.length; i++) {
                String label = i < MARGIN_BUCKETS.length ? "<" + MARGIN_BUCKETS[i] : ">=" + MARGIN_BUCKETS[MARGIN_BUCKETS.length - 1];
                buckets.append(i == 0 ? "" : " ").append(label).append(':').append(marginCounts[i]);
            }
            return String.format(Locale.ROOT,
                    "pairs=%d (%.2f/s) human=%d groups completed=%d flushed=%d discarded=%d ties=%d below-margin=%d "
                            + "late=%d dead-letters=%d margin mean=%.4f [%s]",
                    pairs, pairsPerSecondSince(earlier), humanPairs, groupsCompleted, groupsFlushed, groupsDiscarded,
                    ties, belowMargin, lateEvents, deadLetters, meanMargin(), buckets);
        }
    }

    void groupPair(double margin) {
        pairs.increment();
        marginSum.add(margin);
        int bucket = 0;
        while (bucket < MARGIN_BUCKETS.length && margin >= MARGIN_BUCKETS[bucket]) {
            bucket++;
        }
        marginCounts[bucket].increment();
    }

    void humanPair() {
        pairs.increment();
        humanPairs.increment();
    }

    void groupCompleted() { groupsCompleted.increment(); }
    void groupFlushed() { groupsFlushed.increment(); }
    void groupDiscarded() { groupsDiscarded.increment(); }
    void ties(int n) { ties.add(n); }
    void belowMargin(int n) { belowMargin.add(n); }
    void lateEvent() { lateEvents.increment(); }
    void deadLetter() { deadLetters.increment(); }

    public Snapshot snapshot() {
        return snapshot(System.currentTimeMillis());
    }

    public Snapshot snapshot(long nowMs) {
        long[] margins = Arrays.stream(marginCounts).mapToLong(LongAdder::sum).toArray();
        return new Snapshot(nowMs, pairs.sum(), humanPairs.sum(), groupsCompleted.sum(), groupsFlushed.sum(),
                groupsDiscarded.sum(), ties.sum(), belowMargin.sum(), lateEvents.sum(), deadLetters.sum(),
                margins, marginSum.sum());
    }

    private static LongAdder[] newAdders(int n) {
        LongAdder[] adders = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            adders[i] = new LongAdder();
        }
        return adders;
    }
}

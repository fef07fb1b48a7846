package dev.odpo.pairs;

import java.time.Duration;

/**
 * How the pair-builder turns groups and feedback into pairs. Validated here, in one place; the
 * service settings that fill it (env vars, properties file) are declared in {@link PairBuilderSettings}.
 */
public record PairBuilderConfig(
        SelectionRule selection,     // max-min (default), max-random or pilaf
        ScorerChoice scorers,        // which scores make a sample's reward: the first one, or the sum of named scorers
        double minMargin,            // candidate pairs with a smaller margin are dropped (ties, margin 0, always are)
        double lengthPenalty,        // λ in reward − λ·|response| (papers/002 eq. 8); 0 = plain reward
        LengthUnit lengthUnit,       // how |response| is counted
        long seed,                   // seeds max-random's draw (mixed with the group id)
        Duration groupTimeout,       // an incomplete group is flushed (≥ 2 scored samples) or discarded after this
        Duration sampleRetention,    // samples (and closed-group markers, ratings) are kept this long for late feedback
        Duration feedbackWait,       // feedback naming samples not yet seen waits this long before it is dead-lettered
        Duration punctuateInterval,  // how often (wall clock) timeouts and retention are enforced
        int maxGroupSize) {          // a sample or score announcing a larger group is dead-lettered

    public PairBuilderConfig {
        require(selection != null, "selection", selection, "one of max-min, max-random, pilaf");
        require(scorers != null, "scorers", scorers, "a scorer choice");
        require(minMargin >= 0 && Double.isFinite(minMargin), "min.margin", minMargin, "a finite number >= 0");
        require(lengthPenalty >= 0 && Double.isFinite(lengthPenalty), "length.penalty", lengthPenalty, "a finite number >= 0");
        require(lengthUnit != null, "length.unit", lengthUnit, "chars or tokens");
        requirePositive(groupTimeout, "group.timeout");
        requirePositive(sampleRetention, "sample.retention");
        requirePositive(feedbackWait, "feedback.wait");
        requirePositive(punctuateInterval, "punctuate.interval");
        require(maxGroupSize >= 2, "max.group.size", maxGroupSize, "at least 2");
    }

    /** The defaults: max-min on the first score, no margin threshold, 5 min group timeout, 6 h sample retention. */
    public static PairBuilderConfig defaults() {
        return new PairBuilderConfig(SelectionRule.MAX_MIN, ScorerChoice.any(), 0.0, 0.0, LengthUnit.CHARS, 0L,
                Duration.ofMinutes(5), Duration.ofHours(6), Duration.ofMinutes(10), Duration.ofSeconds(5), 1024);
    }

    public PairBuilderConfig withSelection(SelectionRule value) {
        return new PairBuilderConfig(value, scorers, minMargin, lengthPenalty, lengthUnit, seed, groupTimeout,
                sampleRetention, feedbackWait, punctuateInterval, maxGroupSize);
    }

    public PairBuilderConfig withScorers(ScorerChoice value) {
        return new PairBuilderConfig(selection, value, minMargin, lengthPenalty, lengthUnit, seed, groupTimeout,
                sampleRetention, feedbackWait, punctuateInterval, maxGroupSize);
    }

    public PairBuilderConfig withMinMargin(double value) {
        return new PairBuilderConfig(selection, scorers, value, lengthPenalty, lengthUnit, seed, groupTimeout,
                sampleRetention, feedbackWait, punctuateInterval, maxGroupSize);
    }

    public PairBuilderConfig withLengthPenalty(double value, LengthUnit unit) {
        return new PairBuilderConfig(selection, scorers, minMargin, value, unit, seed, groupTimeout,
                sampleRetention, feedbackWait, punctuateInterval, maxGroupSize);
    }

    public PairBuilderConfig withTimeouts(Duration groupTimeout, Duration sampleRetention, Duration feedbackWait) {
        return new PairBuilderConfig(selection, scorers, minMargin, lengthPenalty, lengthUnit, seed, groupTimeout,
                sampleRetention, feedbackWait, punctuateInterval, maxGroupSize);
    }

    public PairBuilderConfig withPunctuateInterval(Duration value) {
        return new PairBuilderConfig(selection, scorers, minMargin, lengthPenalty, lengthUnit, seed, groupTimeout,
                sampleRetention, feedbackWait, value, maxGroupSize);
    }

    /**
     * How often retained samples, ratings and closed-group markers are scanned for eviction: a sixtieth
     * of the retention, at least the punctuation interval and at most ten minutes. Entries live at most
     * this much longer than the retention.
     */
    public Duration evictionInterval() {
        Duration sixtieth = sampleRetention.dividedBy(60);
        Duration atMost = sixtieth.compareTo(Duration.ofMinutes(10)) > 0 ? Duration.ofMinutes(10) : sixtieth;
        return atMost.compareTo(punctuateInterval) < 0 ? punctuateInterval : atMost;
    }

    /** The selector these settings describe. */
    public PairSelector selector() {
        return new PairSelector(selection, minMargin, lengthPenalty, seed);
    }

    private static void requirePositive(Duration d, String name) {
        require(d != null && !d.isNegative() && !d.isZero(), name, d, "a positive duration");
    }

    private static void require(boolean ok, String name, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("pair-builder setting " + name + " = " + value + " is invalid: expected " + expected);
        }
    }
}

package dev.odpo.generator;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The prompt ids this generator sampled most recently, each with the record it was sampled from: a prompt id
 * seen again in another record is a duplicate (a client that retried a send, a replayed feed) and is not sampled
 * a second time. The same record seen again — a batch served again after an aborted transaction — is not a
 * duplicate.
 *
 * <p>Bounded: it remembers the last {@code capacity} distinct prompt ids, least recently seen forgotten first,
 * so its memory does not grow with the number of prompts served. Per generator instance and since its start:
 * prompts are keyed by prompt_id, so a duplicate lands in the partition of its first copy, but after a restart
 * or a rebalance the partition's new owner starts with an empty window.
 */
final class RecentPrompts {

    /** Where a prompt was read from. */
    record Source(int partition, long offset) {
        @Override
        public String toString() {
            return "partition " + partition + " offset " + offset;
        }
    }

    private final int capacity;
    private final LinkedHashMap<String, Source> seen;

    /** @param capacity how many distinct prompt ids to remember; 0 remembers none (every record is sampled) */
    RecentPrompts(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must not be negative, got " + capacity);
        }
        this.capacity = capacity;
        this.seen = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Source> eldest) {
                return size() > RecentPrompts.this.capacity;
            }
        };
    }

    /**
     * Notes that {@code promptId} is being sampled from {@code source}; returns where it was sampled before if
     * this is a duplicate within the window (and then remembers nothing new), or null.
     */
    Source firstSampledAt(String promptId, Source source) {
        if (capacity == 0) {
            return null;
        }
        Source first = seen.get(promptId);
        if (first != null && !first.equals(source)) {
            return first;
        }
        seen.put(promptId, source);
        return null;
    }

    int size() {
        return seen.size();
    }
}

package dev.odpo.learner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The ids of the most recently trained pairs, oldest first, at most {@code capacity} of them: a duplicated
 * feedback event yields the same pair id, and a pair id in this window is not trained again. The window is
 * saved with each snapshot and restored with it, so duplicates are recognised across restarts; pairs older
 * than the window were committed long ago and are never re-read.
 */
final class RecentPairIds {

    private final int capacity;
    private final LinkedHashSet<String> ids = new LinkedHashSet<>();

    RecentPairIds(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    boolean contains(String pairId) {
        return ids.contains(pairId);
    }

    /** Remembers a trained pair id, forgetting the oldest beyond the capacity. */
    void add(String pairId) {
        ids.remove(pairId);
        ids.add(pairId);
        while (ids.size() > capacity) {
            ids.remove(ids.iterator().next());
        }
    }

    int size() {
        return ids.size();
    }

    /** One id a line, oldest first. */
    void save(Path file) throws IOException {
        Files.write(file, ids, StandardCharsets.UTF_8);
    }

    /** The window saved in {@code file}, cut to this capacity (the newest kept). */
    static RecentPairIds load(Path file, int capacity) throws IOException {
        RecentPairIds r = new RecentPairIds(capacity);
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (String id : lines) {
            if (!id.isEmpty()) {
                r.add(id);
            }
        }
        return r;
    }

    Set<String> view() {
        return java.util.Collections.unmodifiableSet(ids);
    }
}

package dev.odpo.registry.serde;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** A thread-safe least-recently-used map of at most {@code capacity} entries. */
final class BoundedCache<K, V> {

    private final Map<K, V> map;

    BoundedCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("cache capacity must be at least 1, got " + capacity);
        }
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The cached value, or {@code load}'s result (computed outside the lock, so a slow registry call blocks no one). */
    V get(K key, Function<K, V> load) {
        synchronized (map) {
            V v = map.get(key);
            if (v != null) {
                return v;
            }
        }
        V loaded = load.apply(key);
        synchronized (map) {
            map.put(key, loaded);
        }
        return loaded;
    }

    int size() {
        synchronized (map) {
            return map.size();
        }
    }
}

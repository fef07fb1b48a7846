package dev.odpo.registry.serde;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BoundedCacheTest {

    @Test
    void keepsAtMostCapacityEntriesEvictingTheLeastRecentlyUsed() {
        BoundedCache<Integer, String> cache = new BoundedCache<>(2);
        AtomicInteger loads = new AtomicInteger();

        cache.get(1, k -> "v" + k + "#" + loads.incrementAndGet());
        cache.get(2, k -> "v" + k + "#" + loads.incrementAndGet());
        cache.get(1, k -> "v" + k + "#" + loads.incrementAndGet()); // hit: 1 is now most recent
        cache.get(3, k -> "v" + k + "#" + loads.incrementAndGet()); // evicts 2

        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.get(1, k -> "reloaded")).isEqualTo("v1#1");
        assertThat(cache.get(2, k -> "reloaded")).isEqualTo("reloaded");
        assertThat(loads.get()).isEqualTo(3);
    }
}

package dev.odpo.registry.server;

import java.util.function.Consumer;

/** Where the registry's records live. {@link #append} returns once the record has been applied to the state. */
public interface RegistryLog extends AutoCloseable {

    /** Replays every stored record into {@code apply}, then keeps applying records as they are appended. */
    void open(Consumer<RegistryRecord> apply);

    /** Stores {@code record} durably and returns after it has been applied; 50001 on a store failure. */
    void append(RegistryRecord record);

    @Override
    void close();

    /** A log kept only in memory: the {@code mock://} registry. */
    static RegistryLog inMemory() {
        return new RegistryLog() {
            private Consumer<RegistryRecord> apply;

            @Override
            public void open(Consumer<RegistryRecord> apply) {
                this.apply = apply;
            }

            @Override
            public void append(RegistryRecord record) {
                apply.accept(record);
            }

            @Override
            public void close() {
            }
        };
    }
}

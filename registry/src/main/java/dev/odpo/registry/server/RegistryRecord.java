package dev.odpo.registry.server;

/**
 * One entry of the registry's log (the compacted {@code _schemas} topic). Replaying every entry in order
 * rebuilds the registry. The key identifies what a later entry replaces, so compaction keeps the newest.
 */
public sealed interface RegistryRecord {

    /** Version {@code version} of {@code subject} is the schema with global id {@code id}. */
    record SchemaRegistered(String subject, int version, int id, String schema) implements RegistryRecord {
    }

    /** The compatibility level of {@code subject}, or the global one when subject is null; level null = unset. */
    record CompatibilitySet(String subject, String level) implements RegistryRecord {
    }
}

package dev.odpo.registry.client;

import dev.odpo.registry.server.RegistryLog;
import dev.odpo.registry.server.SchemaRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In-process registries for tests, reached with {@code schema.registry.url=mock://<scope>} as in Confluent's
 * serdes: every serde configured with the same scope in this JVM shares one registry. It applies exactly the
 * rules of odpo's registry server (same ids, compatibility checks and error codes) but keeps nothing on disk.
 */
public final class MockSchemaRegistry {

    public static final String URL_PREFIX = "mock://";

    // Scopes are process-wide by design: that is how independent serdes in one test find the same registry.
    private static final Map<String, SchemaRegistry> SCOPES = new ConcurrentHashMap<>();

    private MockSchemaRegistry() {
    }

    /** The registry of {@code scope}, created (global level BACKWARD) on first use. */
    public static SchemaRegistryClient forScope(String scope) {
        return SCOPES.computeIfAbsent(scope, s -> new SchemaRegistry(RegistryLog.inMemory(), "BACKWARD"));
    }

    /** Forgets a scope's schemas, e.g. between tests. */
    public static void dropScope(String scope) {
        SchemaRegistry removed = SCOPES.remove(scope);
        if (removed != null) {
            removed.close();
        }
    }
}

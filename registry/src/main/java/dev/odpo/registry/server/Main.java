package dev.odpo.registry.server;

import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs odpo's schema registry on its own, configured like Confluent's {@code cp-schema-registry} image, so it can
 * stand in for it in a container:
 *
 * <pre>
 * SCHEMA_REGISTRY_LISTENERS                   http://0.0.0.0:8081 (one listener)
 * SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS PLAINTEXT://kafka:9092 (required)
 * SCHEMA_REGISTRY_KAFKASTORE_TOPIC            _schemas
 * SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL  backward
 * </pre>
 *
 * Stops cleanly on SIGTERM. Exit code 2 means bad settings.
 */
public final class Main {

    private Main() {
    }

    /** The server's settings from Confluent's environment variable names; fails naming the bad variable. */
    static SchemaRegistryServer.Config config(Map<String, String> env) {
        String listener = env.getOrDefault("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081").split(",")[0].trim();
        URI uri = URI.create(listener);
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("SCHEMA_REGISTRY_LISTENERS: expected http://HOST:PORT, got '" + listener + "'");
        }
        String bootstrap = env.getOrDefault("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "");
        if (bootstrap.isBlank()) {
            throw new IllegalArgumentException("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS is required, e.g. PLAINTEXT://kafka:9092");
        }
        // Confluent's form names the protocol of each address; the Kafka clients want HOST:PORT.
        String servers = bootstrap.replaceAll("(?i)\\bPLAINTEXT://", "");
        String level = env.getOrDefault("SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL", "backward").toUpperCase(Locale.ROOT);
        try {
            CompatibilityLevel.parse(level);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL: " + e.getMessage(), e);
        }
        return new SchemaRegistryServer.Config(uri.getHost(), uri.getPort() < 0 ? 8081 : uri.getPort(), servers,
                env.getOrDefault("SCHEMA_REGISTRY_KAFKASTORE_TOPIC", "_schemas"), level);
    }

    public static void main(String[] args) throws InterruptedException {
        SchemaRegistryServer.Config config;
        try {
            config = config(System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("schema registry: " + e.getMessage());
            System.exit(2);
            return;
        }
        SchemaRegistryServer server = SchemaRegistryServer.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "schema-registry-shutdown"));
        stopped.await();
    }
}

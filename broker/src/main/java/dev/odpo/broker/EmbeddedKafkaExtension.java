package dev.odpo.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension: one real embedded Kafka broker per test class, on free ports with a temporary data
 * directory, stopped (and the directory deleted) after the class.
 *
 * <pre>{@code
 * @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();
 * ... KAFKA.bootstrapServers() ... KAFKA.registryUrl() ...
 * }</pre>
 *
 * <p>Register it on a {@code static} field: it starts in {@code beforeAll}.
 *
 * <p>{@link #registryUrl()} starts, on first call, odpo's Confluent-compatible schema registry server
 * ({@code dev.odpo.registry.server.SchemaRegistryServer}, storing schemas in the {@code _schemas} topic of this
 * broker, compatibility BACKWARD) on a free port. The broker module cannot depend on the registry module (the
 * registry's own tests use this broker), so the server is loaded reflectively: a test that calls
 * {@code registryUrl()} needs {@code dev.odpo:odpo-registry} on its test classpath, and gets a clear error
 * otherwise.
 */
public class EmbeddedKafkaExtension implements BeforeAllCallback, AfterAllCallback {

    private static final String REGISTRY_SERVER = "dev.odpo.registry.server.SchemaRegistryServer";

    private final Map<String, String> brokerConfig = new LinkedHashMap<>();
    private final Map<String, String> scramUsers = new LinkedHashMap<>();
    private Path dataDir;
    private EmbeddedKafka kafka;
    private AutoCloseable registry;
    private String registryUrl;

    /** Adds a broker setting for this class's broker; call before the class starts. */
    public EmbeddedKafkaExtension withBrokerConfig(String key, String value) {
        brokerConfig.put(key, value);
        return this;
    }

    /**
     * Adds a SCRAM user: the broker then takes only SASL/SCRAM clients on its port (see {@link EmbeddedKafka}),
     * and the schema registry logs in as the first user added. Call before the class starts.
     */
    public EmbeddedKafkaExtension withScramUser(String name, String password) {
        scramUsers.put(name, password);
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        dataDir = Files.createTempDirectory("odpo-kafka-");
        EmbeddedKafka.Builder builder = EmbeddedKafka.builder().port(0).controllerPort(0).dataDir(dataDir)
                .brokerConfig(brokerConfig);
        scramUsers.forEach(builder::scramUser);
        kafka = builder.build();
        kafka.start();
    }

    /**
     * The Kafka client settings with which {@code user} logs in (security protocol, mechanism SCRAM-SHA-512, JAAS
     * config); empty when the broker takes PLAINTEXT clients.
     */
    public Map<String, String> clientSecurity(String user, String password) {
        if (!kafka().secured()) {
            return Map.of();
        }
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", EmbeddedKafka.scramJaasConfig(user, password));
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            closeRegistry();
        } finally {
            try {
                if (kafka != null) {
                    kafka.close();
                }
            } finally {
                kafka = null;
                deleteRecursively(dataDir);
            }
        }
    }

    /** The running broker, e.g. to restart it. */
    public EmbeddedKafka kafka() {
        if (kafka == null) {
            throw new IllegalStateException("EmbeddedKafkaExtension is not started: register it on a static field "
                    + "with @RegisterExtension so it starts before the tests");
        }
        return kafka;
    }

    /** {@code bootstrap.servers} of this class's broker. */
    public String bootstrapServers() {
        return kafka().bootstrapServers();
    }

    /** URL of a schema registry server on this broker, started on first call. */
    public synchronized String registryUrl() {
        if (registryUrl == null) {
            startRegistry();
        }
        return registryUrl;
    }

    private void startRegistry() {
        try {
            Class<?> serverClass = Class.forName(REGISTRY_SERVER);
            Class<?> configClass = Class.forName(REGISTRY_SERVER + "$Config");
            Constructor<?> ctor = configClass.getConstructor(String.class, int.class, String.class, String.class, String.class,
                    Map.class);
            Map<String, String> security = scramUsers.isEmpty() ? Map.of()
                    : clientSecurity(scramUsers.keySet().iterator().next(), scramUsers.values().iterator().next());
            Object config = ctor.newInstance("127.0.0.1", 0, bootstrapServers(), "_schemas", "BACKWARD", security);
            Object server = serverClass.getMethod("start", configClass).invoke(null, config);
            Method url = serverClass.getMethod("url");
            registryUrl = (String) url.invoke(server);
            registry = (AutoCloseable) server;
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("registryUrl() needs the schema registry server on the test classpath: "
                    + "add dev.odpo:odpo-registry (test scope) to this module's pom", e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("schema registry server failed to start: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("odpo-registry on the classpath does not match this broker module: " + e, e);
        }
    }

    private void closeRegistry() throws Exception {
        if (registry != null) {
            try {
                registry.close();
            } finally {
                registry = null;
                registryUrl = null;
            }
        }
    }

    private static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // A leftover temp directory is not worth failing a test run over.
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }
}

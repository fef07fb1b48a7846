package dev.odpo.registry.server;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * odpo's schema registry: Confluent's Schema Registry REST API (the endpoints listed in
 * docs/schema-registry.md) on {@code host:port}, with its schemas kept in a compacted Kafka topic.
 *
 * <pre>{@code
 * SchemaRegistryServer server = SchemaRegistryServer.start(new SchemaRegistryServer.Config(
 *         "127.0.0.1", 8081, "127.0.0.1:9092", "_schemas", "BACKWARD"));
 * server.url();   // http://127.0.0.1:8081
 * server.close();
 * }</pre>
 */
public final class SchemaRegistryServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SchemaRegistryServer.class);
    private static final String NODELAY = "sun.net.httpserver.nodelay";

    /**
     * @param host                 address to listen on, e.g. 127.0.0.1
     * @param port                 HTTP port; 0 picks a free one (Confluent's default is 8081)
     * @param bootstrapServers     the Kafka cluster holding the schema topic
     * @param topic                the compacted schema topic, Confluent's default "_schemas"
     * @param defaultCompatibility global level until one is PUT on /config, e.g. BACKWARD
     * @param kafkaConfig          extra Kafka client settings (SASL/SSL etc.) for the schema topic's clients
     */
    public record Config(String host, int port, String bootstrapServers, String topic, String defaultCompatibility,
                         Map<String, String> kafkaConfig) {

        public Config {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("registry port must be 0..65535, got " + port);
            }
            if (topic == null || topic.isBlank()) {
                throw new IllegalArgumentException("registry topic must not be empty");
            }
            CompatibilityLevel.parse(defaultCompatibility);
            kafkaConfig = Map.copyOf(kafkaConfig);
        }

        public Config(String host, int port, String bootstrapServers, String topic, String defaultCompatibility) {
            this(host, port, bootstrapServers, topic, defaultCompatibility, Map.of());
        }
    }

    private final HttpServer http;
    private final ExecutorService executor;
    private final SchemaRegistry registry;
    private final String url;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SchemaRegistryServer(HttpServer http, ExecutorService executor, SchemaRegistry registry, String url) {
        this.http = http;
        this.executor = executor;
        this.registry = registry;
        this.url = url;
    }

    /** Rebuilds the registry from its topic, then serves HTTP; fails with a clear message if the port is taken. */
    public static SchemaRegistryServer start(Config config) {
        Map<String, Object> kafka = new HashMap<>(config.kafkaConfig());
        kafka.put("bootstrap.servers", config.bootstrapServers());
        SchemaRegistry registry = new SchemaRegistry(new KafkaRegistryLog(config.topic(), kafka), config.defaultCompatibility());
        // The JDK server writes headers and body separately; with Nagle's algorithm on, each answer then waits
        // for the client's delayed ACK (~40 ms per request, measured). Read once, when the JDK server first loads.
        if (System.getProperty(NODELAY) == null) {
            System.setProperty(NODELAY, "true");
        }
        HttpServer http;
        try {
            http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 64);
        } catch (BindException e) {
            registry.close();
            throw new IllegalStateException("schema registry port " + config.host() + ":" + config.port()
                    + " is already in use (is another registry running?); choose another port", e);
        } catch (IOException e) {
            registry.close();
            throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "schema-registry-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/", new RegistryHttpHandler(registry));
        http.start();
        String url = "http://" + config.host() + ":" + http.getAddress().getPort();
        log.info("schema registry listening on {} (schemas in topic {} on {}, default compatibility {})",
                url, config.topic(), config.bootstrapServers(), registry.globalCompatibility());
        return new SchemaRegistryServer(http, executor, registry, url);
    }

    /** Base URL, e.g. {@code http://127.0.0.1:8081}: the value for {@code schema.registry.url}. */
    public String url() {
        return url;
    }

    /** The registry behind the HTTP API, for in-process callers. */
    public SchemaRegistry registry() {
        return registry;
    }

    /** Stops serving and closes the Kafka clients; safe to call twice. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        http.stop(0);
        executor.shutdownNow();
        registry.close();
        log.info("schema registry on {} stopped", url);
    }
}

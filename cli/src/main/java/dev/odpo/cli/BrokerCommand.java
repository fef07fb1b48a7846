package dev.odpo.cli;

import dev.odpo.broker.EmbeddedKafka;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.registry.server.SchemaRegistryServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Runs a real single-node Kafka broker and the schema registry in the foreground until Ctrl-C. */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = {"Starts a single-node Apache Kafka broker (KRaft) and a Confluent-compatible schema registry "
                + "in the foreground, and creates odpo's topics. Ctrl-C stops both cleanly; a restart on the same "
                + "data directory keeps every topic, offset and schema."})
public final class BrokerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address both listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "9092", description = "Kafka port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--controller-port", defaultValue = "0", description = "KRaft controller port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int controllerPort;

    @Option(names = "--registry-port", defaultValue = "8081",
            description = "Schema registry HTTP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(names = "--data-dir", defaultValue = "data", paramLabel = "DIR",
            description = "Where Kafka keeps its logs (default: ./${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--topic-prefix", defaultValue = "odpo.", description = "Prefix of the topics to create (default: ${DEFAULT-VALUE}).")
    String topicPrefix;

    @Option(names = "--partitions", defaultValue = "3", description = "Partitions of the per-prompt topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--scram-users", paramLabel = "FILE",
            description = "A properties file of SCRAM users, one name=password a line. Kafka then takes only "
                    + "SASL/SCRAM clients (SASL_PLAINTEXT, SCRAM-SHA-256 or -512) on its port; the registry logs in "
                    + "as the first user by name. Passwords are read from the file, never from the command line.")
    Path scramUsers;

    /** Broker and registry, running. Closing stops the registry, then the broker. */
    record Running(EmbeddedKafka kafka, SchemaRegistryServer registry) implements AutoCloseable {
        @Override
        public void close() {
            try {
                registry.close();
            } finally {
                kafka.close();
            }
        }
    }

    /** Starts broker and registry and creates the topics; the caller owns the result. */
    Running start() {
        Map<String, String> users = scramUsers == null ? Map.of() : readUsers(scramUsers);
        EmbeddedKafka.Builder builder = EmbeddedKafka.builder().host(host).port(port).controllerPort(controllerPort)
                .dataDir(dataDir.resolve("kafka"));
        users.forEach(builder::scramUser);
        EmbeddedKafka kafka = builder.build();
        kafka.start();
        // the broker's own clients (registry, topic creation) log in as the first user
        Map<String, String> security = users.isEmpty() ? Map.of() : Map.of("security.protocol", "SASL_PLAINTEXT",
                "sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config", EmbeddedKafka.scramJaasConfig(
                        users.keySet().iterator().next(), users.values().iterator().next()));
        SchemaRegistryServer registry;
        try {
            registry = SchemaRegistryServer.start(new SchemaRegistryServer.Config(host, registryPort,
                    kafka.bootstrapServers(), "_schemas", "BACKWARD", security));
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
        Running running = new Running(kafka, registry);
        try {
            KafkaSettings settings = new KafkaSettings(kafka.bootstrapServers(), registry.url(), topicPrefix, partitions,
                    (short) 1, true, security, Map.of());
            Topics topics = settings.topics();
            try (TopicAdmin admin = TopicAdmin.create(settings)) {
                admin.createMissing(topics.all());
            }
        } catch (RuntimeException e) {
            running.close();
            throw e;
        }
        return running;
    }

    /** The users of a --scram-users file, by name. */
    static Map<String, String> readUsers(Path file) {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("--scram-users: cannot read " + file + ": " + e.getMessage());
        }
        if (p.isEmpty()) {
            throw new IllegalArgumentException("--scram-users: " + file + " names no user (one name=password a line)");
        }
        Map<String, String> users = new TreeMap<>();
        p.stringPropertyNames().forEach(name -> users.put(name.trim(), p.getProperty(name)));
        return users;
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        Running running = start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                running.close();
            } finally {
                stopped.countDown();
            }
        }, "odpo-broker-shutdown"));
        if (running.kafka().secured()) {
            out.printf("%nKafka takes SASL/SCRAM clients only: give them kafka.security.protocol=SASL_PLAINTEXT, "
                    + "kafka.sasl.mechanism=SCRAM-SHA-512 and kafka.sasl.jaas.config=%s%n",
                    EmbeddedKafka.scramJaasConfig("NAME", "PASSWORD"));
        }
        out.printf("%nKafka            %s%nSchema registry  %s%nData             %s%n%n"
                        + "Topics created (prefix %s). Try, in another terminal:%n"
                        + "  ./odpo prompts examples/prompts.jsonl%n  ./odpo tail prompts%n%nCtrl-C stops both.%n",
                running.kafka().bootstrapServers(), running.registry().url(), running.kafka().dataDir(), topicPrefix);
        out.flush();
        stopped.await();
        return 0;
    }
}

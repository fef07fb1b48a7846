package dev.odpo.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Apache Kafka (KRaft, combined broker + controller) running in this JVM.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(9092).dataDir(Path.of("data/kafka")).build()) {
 *     kafka.start();
 *     String bootstrap = kafka.bootstrapServers();   // "127.0.0.1:9092"
 * }
 * }</pre>
 *
 * <p>The data directory is formatted on first start (Kafka's {@code StorageTool format}); a later start on the
 * same directory keeps every topic and offset. All replication factors and min ISRs are 1, so transactions and
 * Kafka Streams {@code exactly_once_v2} work on the one node. Port 0 means "pick a free port"; a port already
 * in use fails {@link #start()} with a message naming it.
 *
 * <p>With {@link Builder#scramUser} the client port takes only SASL/SCRAM-authenticated clients
 * ({@code SASL_PLAINTEXT}, mechanisms SCRAM-SHA-256 and SCRAM-SHA-512), and each user given is created (or its
 * password reset) at every start: clients then need {@code security.protocol=SASL_PLAINTEXT},
 * {@code sasl.mechanism} and {@code sasl.jaas.config} ({@link #scramJaasConfig}). The broker talks to itself, and
 * to its controller, over PLAINTEXT listeners on 127.0.0.1 only. Passwords are kept in memory, never written to
 * the data directory (Kafka stores salted SCRAM hashes in its metadata).
 *
 * <p>A fatal broker fault calls Kafka's {@code Exit.exit/halt}; while any embedded broker runs, those are
 * redirected to an exception in the calling thread and an error log, so a broker fault never kills the host JVM.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final int NODE_ID = 1;
    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    /** With SCRAM users: the authenticated client listener, and the broker's own one on loopback. */
    private static final String SASL_LISTENER = "SASL_PLAINTEXT";
    private static final String INTERNAL_LISTENER = "INTERNAL";
    private static final String LOOPBACK = "127.0.0.1";
    /** The mechanisms the SASL listener takes; each user gets a credential for both. */
    public static final List<String> SCRAM_MECHANISMS = List.of("SCRAM-SHA-256", "SCRAM-SHA-512");
    private static final int SCRAM_ITERATIONS = 4096;

    private final String host;
    private final int requestedPort;
    private final int requestedControllerPort;
    private final Path dataDir;
    private final Map<String, String> overrides;
    private final Duration startTimeout;
    private final Map<String, String> scramUsers;   // user -> password; empty: a PLAINTEXT client listener

    private KafkaRaftServer server;
    private FileLock dataDirLock;
    private int port;
    private int controllerPort;
    private int internalPort;

    private EmbeddedKafka(Builder b) {
        this.host = b.host;
        this.requestedPort = b.port;
        this.requestedControllerPort = b.controllerPort;
        this.dataDir = b.dataDir.toAbsolutePath();
        this.overrides = Map.copyOf(b.overrides);
        this.startTimeout = b.startTimeout;
        this.scramUsers = Map.copyOf(b.scramUsers);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Formats the data directory if it is new, starts broker and controller and waits until clients can connect. */
    public synchronized void start() {
        if (server != null) {
            throw new IllegalStateException("Kafka is already running on " + bootstrapServers());
        }
        port = resolvePort(requestedPort, "broker port");
        controllerPort = secured() ? resolvePort(LOOPBACK, requestedControllerPort, "controller port")
                : resolvePort(requestedControllerPort, "controller port");
        if (controllerPort == port) {
            throw new IllegalArgumentException("broker and controller ports must differ, both are " + port);
        }
        internalPort = secured() ? freePort(LOOPBACK, "internal broker port") : 0;
        Properties props = serverProperties();
        Path configFile = dataDir.resolve("server.properties");
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + dataDir + ": " + e.getMessage(), e);
        }
        lockDataDir();
        try {
            writeProperties(props, configFile);
            format(configFile);
        } catch (IOException e) {
            unlockDataDir();
            throw new UncheckedIOException("cannot write " + configFile + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            unlockDataDir();
            throw e;
        }

        long t0 = System.nanoTime();
        ExitGuard.acquire();
        KafkaRaftServer s = null;
        try {
            s = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
            s.startup();
            server = s;
            awaitReady();
            createScramUsers();
        } catch (RuntimeException e) {
            server = null;
            if (s != null) {
                stopQuietly(s);
            }
            ExitGuard.release();
            unlockDataDir();
            throw new IllegalStateException("Kafka failed to start on " + host + ":" + port + " with data in "
                    + dataDir + ": " + e.getMessage(), e);
        }
        log.info("Kafka started on {}{} (controller port {}, data {}) in {} ms", bootstrapServers(),
                secured() ? " for SASL/SCRAM clients (users " + new java.util.TreeSet<>(scramUsers.keySet()) + ")" : "",
                controllerPort, dataDir, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /** Whether the client port takes only SASL/SCRAM-authenticated clients. */
    public boolean secured() {
        return !scramUsers.isEmpty();
    }

    /**
     * The {@code sasl.jaas.config} value with which a client logs in as {@code user}. Quotes and backslashes in
     * the name or password are escaped as JAAS requires.
     */
    public static String scramJaasConfig(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + jaasEscape(user)
                + "\" password=\"" + jaasEscape(password) + "\";";
    }

    private static String jaasEscape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** {@code host:port} for {@code bootstrap.servers}. */
    public synchronized String bootstrapServers() {
        if (server == null) {
            throw new IllegalStateException("Kafka is not running: call start() first");
        }
        return host + ":" + port;
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Stops broker and controller; the data stays in {@link #dataDir()}. Safe to call twice. */
    @Override
    public synchronized void close() {
        if (server == null) {
            return;
        }
        KafkaRaftServer s = server;
        server = null;
        long t0 = System.nanoTime();
        try {
            stopQuietly(s);
        } finally {
            ExitGuard.release();
            unlockDataDir();
        }
        log.info("Kafka on {}:{} stopped in {} ms", host, port, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /**
     * Kafka locks its log directory only after the controller has opened the metadata log in it, so a second
     * broker on the same directory would touch live metadata before failing. This lock is taken first.
     */
    private void lockDataDir() {
        Path lockFile = dataDir.resolve(".odpo-broker.lock");
        try {
            FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                channel.close();
                throw new IllegalStateException("Kafka data directory " + dataDir + " is in use by another broker (lock "
                        + lockFile + "); stop it or choose another data directory");
            }
            dataDirLock = lock;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + lockFile + ": " + e.getMessage(), e);
        }
    }

    private void unlockDataDir() {
        if (dataDirLock != null) {
            try {
                dataDirLock.release();
                dataDirLock.channel().close();
            } catch (IOException e) {
                log.warn("cannot release lock on {}: {}", dataDir, e.toString());
            }
            dataDirLock = null;
        }
    }

    private Properties serverProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        // With SCRAM users the controller, which takes no credentials, listens on loopback only.
        String controllerHost = secured() ? LOOPBACK : host;
        p.put("controller.quorum.voters", NODE_ID + "@" + controllerHost + ":" + controllerPort);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        if (secured()) {
            // Clients authenticate with SCRAM; the broker reaches itself (transaction markers …) on loopback.
            p.put("listeners", SASL_LISTENER + "://" + host + ":" + port + "," + INTERNAL_LISTENER + "://" + LOOPBACK + ":"
                    + internalPort + "," + CONTROLLER_LISTENER + "://" + controllerHost + ":" + controllerPort);
            p.put("advertised.listeners", SASL_LISTENER + "://" + host + ":" + port + "," + INTERNAL_LISTENER + "://"
                    + LOOPBACK + ":" + internalPort);
            p.put("inter.broker.listener.name", INTERNAL_LISTENER);
            p.put("listener.security.protocol.map", SASL_LISTENER + ":SASL_PLAINTEXT," + INTERNAL_LISTENER + ":PLAINTEXT,"
                    + CONTROLLER_LISTENER + ":PLAINTEXT");
            p.put("sasl.enabled.mechanisms", String.join(",", SCRAM_MECHANISMS));
            for (String mechanism : SCRAM_MECHANISMS) {
                // the server side of SCRAM needs a login module, but no credentials of its own
                p.put("listener.name." + SASL_LISTENER.toLowerCase(java.util.Locale.ROOT) + "."
                                + mechanism.toLowerCase(java.util.Locale.ROOT) + ".sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required;");
            }
        } else {
            p.put("listeners", BROKER_LISTENER + "://" + host + ":" + port + "," + CONTROLLER_LISTENER + "://" + host + ":"
                    + controllerPort);
            p.put("advertised.listeners", BROKER_LISTENER + "://" + host + ":" + port);
            p.put("inter.broker.listener.name", BROKER_LISTENER);
            p.put("listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        }
        p.put("log.dirs", dataDir.resolve("logs").toString());
        // One node: every internal topic has one replica, so transactions and EOS work.
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        // A development node on a small machine: fewer internal partitions and threads, a small cleaner buffer.
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(16 * 1024 * 1024));
        p.putAll(overrides);
        Properties props = new Properties();
        props.putAll(p);
        return props;
    }

    private void format(Path configFile) {
        if (Files.exists(dataDir.resolve("logs").resolve("meta.properties"))) {
            log.info("Kafka data directory {} is already formatted: keeping its cluster id and data", dataDir);
            return;
        }
        String clusterId = Uuid.randomUuid().toString();
        StringBuilderStream out = new StringBuilderStream();
        int rc;
        try {
            rc = StorageTool.execute(new String[] {"format", "--cluster-id", clusterId, "--config", configFile.toString(),
                    "--ignore-formatted"}, out.printStream());
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot format Kafka data directory " + dataDir + ": " + e.getMessage()
                    + " " + out, e);
        }
        if (rc != 0) {
            throw new IllegalStateException("cannot format Kafka data directory " + dataDir + " (exit " + rc + "): " + out);
        }
        log.debug("storage format: {}", out);
    }

    /** Creates each SCRAM user, or resets its password, for every mechanism; waits until the first can log in. */
    private void createScramUsers() {
        if (!secured()) {
            return;
        }
        try (Admin admin = Admin.create(internalAdmin())) {
            // one request per mechanism: Kafka refuses two alterations of one user in a request
            for (String mechanism : SCRAM_MECHANISMS) {
                List<UserScramCredentialAlteration> alterations = new ArrayList<>();
                scramUsers.forEach((user, password) -> alterations.add(new UserScramCredentialUpsertion(user,
                        new ScramCredentialInfo(ScramMechanism.fromMechanismName(mechanism), SCRAM_ITERATIONS), password)));
                admin.alterUserScramCredentials(alterations).all().get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot create the SCRAM users: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating the SCRAM users", e);
        }
        // The broker learns the credentials from the metadata log: wait until a client can log in with them.
        Map.Entry<String, String> first = new java.util.TreeMap<>(scramUsers).firstEntry();
        Properties client = new Properties();
        client.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, host + ":" + port);
        client.put(AdminClientConfig.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        client.put(SaslConfigs.SASL_MECHANISM, SCRAM_MECHANISMS.get(0));
        client.put(SaslConfigs.SASL_JAAS_CONFIG, scramJaasConfig(first.getKey(), first.getValue()));
        awaitAnswer(client, "a SCRAM login");
    }

    private Properties internalAdmin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, secured() ? LOOPBACK + ":" + internalPort : host + ":" + port);
        return p;
    }

    private void awaitReady() {
        awaitAnswer(internalAdmin(), "the broker");
    }

    private void awaitAnswer(Properties p, String what) {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        try (Admin admin = Admin.create(p)) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(what + " did not succeed within " + startTimeout + ": "
                                + e.getMessage(), e);
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("broker did not register within " + startTimeout);
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Kafka to start", e);
        }
    }

    private int resolvePort(int requested, String what) {
        return resolvePort(host, requested, what);
    }

    private static int resolvePort(String host, int requested, String what) {
        if (requested == 0) {
            return freePort(host, what);
        }
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(host), requested));
            return requested;
        } catch (IOException e) {
            throw new IllegalStateException("Kafka " + what + " " + host + ":" + requested
                    + " is already in use (is another broker running?); choose another port or stop that process", e);
        }
    }

    /**
     * {@code n} distinct ports free on the loopback address at this moment (all held open together while
     * chosen), for a broker that must restart on the same fixed ports.
     */
    public static int[] freeLoopbackPorts(int n) {
        int[] ports = new int[n];
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName(LOOPBACK));
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find " + n + " free ports on " + LOOPBACK + ": " + e.getMessage(), e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // the port was only being reserved
                }
            }
        }
    }

    private static int freePort(String host, String what) {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName(host))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free " + what + " on " + host + ": " + e.getMessage(), e);
        }
    }

    private static void stopQuietly(KafkaRaftServer s) {
        try {
            s.shutdown();
            s.awaitShutdown();
        } catch (RuntimeException e) {
            log.warn("error while stopping Kafka: {}", e.toString());
        }
    }

    private static void writeProperties(Properties props, Path file) throws IOException {
        try (OutputStream os = Files.newOutputStream(file)) {
            props.store(os, "written by odpo EmbeddedKafka on each start");
        }
    }

    /** Captures StorageTool's output so errors can quote it. */
    private static final class StringBuilderStream {
        private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();

        PrintStream printStream() {
            return new PrintStream(bytes, true, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return bytes.toString(StandardCharsets.UTF_8).trim();
        }
    }

    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 9092;
        private int controllerPort = 0;
        private Path dataDir;
        private final Map<String, String> overrides = new LinkedHashMap<>();
        private Duration startTimeout = Duration.ofSeconds(60);
        private final Map<String, String> scramUsers = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * A SCRAM user (SHA-256 and SHA-512) created at start; with at least one, the client port takes only
         * SASL/SCRAM-authenticated clients.
         */
        public Builder scramUser(String name, String password) {
            if (name == null || name.isBlank() || name.contains(",") || name.contains("=")) {
                throw new IllegalArgumentException("a SCRAM user name must be non-empty, without ',' or '=': '" + name + "'");
            }
            if (password == null || password.isEmpty()) {
                throw new IllegalArgumentException("SCRAM user '" + name + "' needs a password");
            }
            scramUsers.put(name, password);
            return this;
        }

        /** Address to listen on and advertise; default 127.0.0.1. */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** Broker (client) port; default 9092; 0 picks a free port. */
        public Builder port(int port) {
            this.port = checkPort(port, "port");
            return this;
        }

        /** KRaft controller port; default 0 (a free port). */
        public Builder controllerPort(int controllerPort) {
            this.controllerPort = checkPort(controllerPort, "controllerPort");
            return this;
        }

        /** Where logs and metadata live; required. Restarting on the same directory keeps the data. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
            return this;
        }

        /** Any broker setting (e.g. {@code log.retention.hours}); applied over the defaults. */
        public Builder brokerConfig(String key, String value) {
            overrides.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value of " + key));
            return this;
        }

        public Builder brokerConfig(Map<String, String> config) {
            config.forEach(this::brokerConfig);
            return this;
        }

        /** How long {@link EmbeddedKafka#start()} waits for the broker to accept clients; default 60 s. */
        public Builder startTimeout(Duration startTimeout) {
            if (startTimeout.isNegative() || startTimeout.isZero()) {
                throw new IllegalArgumentException("startTimeout must be positive, got " + startTimeout);
            }
            this.startTimeout = startTimeout;
            return this;
        }

        public EmbeddedKafka build() {
            if (dataDir == null) {
                throw new IllegalStateException("dataDir is required: where the broker keeps its logs and metadata");
            }
            return new EmbeddedKafka(this);
        }

        private static int checkPort(int port, String name) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException(name + " must be 0..65535 (0 = pick a free one), got " + port);
            }
            return port;
        }
    }
}

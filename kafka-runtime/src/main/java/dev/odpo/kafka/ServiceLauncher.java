package dev.odpo.kafka;

import dev.odpo.kafka.config.ConfigException;
import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.kafka.config.Setting;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every service's main does: read its arguments (--config FILE, --help), load and validate its
 * settings (exit code 2 with a message naming each bad setting), create missing topics, run the service in
 * the calling thread and stop it cleanly on SIGTERM / Ctrl-C.
 */
public final class ServiceLauncher {

    private static final Logger log = LoggerFactory.getLogger(ServiceLauncher.class);

    /** Exit code when the service stopped on an error it could not route to dead letters. */
    public static final int EXIT_FAILED = 1;
    /** Exit code for bad arguments or configuration. */
    public static final int EXIT_CONFIG = 2;
    /** Exit code when Kafka cannot be reached or topics cannot be created. */
    public static final int EXIT_KAFKA = 3;

    private final String service;
    private final String summary;
    private final List<Setting<?>> settings;

    /**
     * @param service  the service name, used in logs and client ids (generator, scorer, ...)
     * @param summary  one sentence for --help saying what the service does
     * @param settings every setting the service reads, the shared {@link KafkaSettings#SETTINGS} included
     */
    public ServiceLauncher(String service, String summary, List<Setting<?>> settings) {
        this.service = service;
        this.summary = summary;
        this.settings = settings;
    }

    /**
     * Runs the service until it is stopped; returns the process exit code.
     *
     * @param build builds the service from its validated settings; may throw ConfigException
     */
    public int launch(String[] args, Function<ConfigValues, ? extends Service> build) {
        return launch(args, System.getenv(), build, System.out, System.err);
    }

    int launch(String[] args, Map<String, String> env, Function<ConfigValues, ? extends Service> build,
               PrintStream out, PrintStream err) {
        Path configFile = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                out.print(help());
                return 0;
            } else if (a.equals("--config") && i + 1 < args.length) {
                configFile = Path.of(args[++i]);
            } else if (a.startsWith("--config=")) {
                configFile = Path.of(a.substring("--config=".length()));
            } else {
                err.println(service + ": unknown argument '" + a + "'\n\n" + help());
                return EXIT_CONFIG;
            }
        }
        if (configFile == null && env.get(ConfigValues.CONFIG_FILE_ENV) != null && !env.get(ConfigValues.CONFIG_FILE_ENV).isBlank()) {
            configFile = Path.of(env.get(ConfigValues.CONFIG_FILE_ENV));
        }
        ConfigValues values;
        Service running;
        try {
            values = ConfigValues.load(settings, env, configFile);
            log.info("{} starting with settings:\n{}", service, values.summary());
            KafkaSettings kafka = KafkaSettings.from(values);
            // Build first: a bad directory or model in the settings is reported at once, before any wait for Kafka.
            running = build.apply(values);
            if (kafka.createTopics()) {
                try (TopicAdmin admin = TopicAdmin.create(kafka)) {
                    admin.createMissing(kafka.topics().all());
                }
            }
        } catch (ConfigException e) {
            err.println(service + ": " + e.getMessage());
            err.println("Run with --help to see every setting.");
            return EXIT_CONFIG;
        } catch (KafkaException e) {
            err.println(service + ": " + e.getMessage());
            return EXIT_KAFKA;
        } catch (RuntimeException e) {
            // A file the settings name cannot be used (a model that does not load, a directory that is a file):
            // one line for the operator; the stack trace with ODPO_DEBUG set.
            err.println(service + ": cannot start: " + describe(e));
            if (env.get("ODPO_DEBUG") != null) {
                e.printStackTrace(err);
            }
            return EXIT_CONFIG;
        }
        running.installShutdownHook(service);
        try {
            running.run();
        } catch (RuntimeException e) {
            // Logged with its stack trace where it happened; the records in hand were not committed.
            err.println(service + ": stopped on an error: " + e.getMessage());
            return EXIT_FAILED;
        }
        return 0;
    }

    /** The failure's message and its causes' (each once), on one line. */
    static String describe(Throwable e) {
        StringBuilder out = new StringBuilder(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null && out.indexOf(c.getMessage()) < 0) {
                out.append(": ").append(c.getMessage());
            }
        }
        return out.toString();
    }

    /** Usage and every setting, for --help. */
    public String help() {
        return "Usage: " + service + " [--config FILE] [--help]\n\n" + summary + "\n\n"
                + "  --config FILE   a properties file with settings (or set " + ConfigValues.CONFIG_FILE_ENV + ")\n\n"
                + ConfigValues.describe(settings);
    }
}

package dev.odpo.kafka.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The values of a set of declared {@link Setting}s, read once at start.
 *
 * <p>Precedence, highest first: environment variable, properties file, default. Every setting is parsed
 * and validated here; all problems are reported together in one {@link ConfigException}, each naming the
 * setting, where the value came from and the bad value.
 *
 * <p>Pass-through: any Kafka client setting (including SASL and SSL) is given with the prefix
 * {@value #KAFKA_PREFIX} in the properties file ({@code kafka.security.protocol=SASL_SSL}) or
 * {@value #KAFKA_ENV_PREFIX} in the environment ({@code ODPO_KAFKA_SECURITY_PROTOCOL=SASL_SSL}; underscores
 * become dots, upper case becomes lower). Schema-registry client settings (e.g. basic auth) use
 * {@value #REGISTRY_PREFIX} / {@value #REGISTRY_ENV_PREFIX} the same way.
 */
public final class ConfigValues {

    public static final String KAFKA_PREFIX = "kafka.";
    public static final String KAFKA_ENV_PREFIX = "ODPO_KAFKA_";
    public static final String REGISTRY_PREFIX = "registry.";
    public static final String REGISTRY_ENV_PREFIX = "ODPO_REGISTRY_";
    /** The environment variable naming an optional properties file. */
    public static final String CONFIG_FILE_ENV = "ODPO_CONFIG_FILE";

    private final Map<String, Object> values;      // setting name -> parsed value
    private final Map<String, String> sources;     // setting name -> "env X", "file f", "default"
    private final Map<String, Setting<?>> settings;
    private final Map<String, String> kafka;
    private final Map<String, String> registry;

    private ConfigValues(Map<String, Object> values, Map<String, String> sources, Map<String, Setting<?>> settings,
                         Map<String, String> kafka, Map<String, String> registry) {
        this.values = values;
        this.sources = sources;
        this.settings = settings;
        this.kafka = Map.copyOf(kafka);
        this.registry = Map.copyOf(registry);
    }

    /** Reads the settings from the process environment and the file named by ODPO_CONFIG_FILE, if any. */
    public static ConfigValues fromEnvironment(Collection<Setting<?>> settings, Path propertiesFile) {
        Map<String, String> env = System.getenv();
        Path file = propertiesFile;
        if (file == null && env.get(CONFIG_FILE_ENV) != null && !env.get(CONFIG_FILE_ENV).isBlank()) {
            file = Path.of(env.get(CONFIG_FILE_ENV));
        }
        return load(settings, env, file);
    }

    /**
     * Reads the settings from the given environment and optional properties file.
     *
     * @throws ConfigException naming every setting that is missing, unknown or invalid
     */
    public static ConfigValues load(Collection<Setting<?>> declared, Map<String, String> env, Path propertiesFile) {
        return load(declared, env, propertiesFile, true);
    }

    /**
     * Like {@link #load(Collection, Map, Path)}; with {@code strict} false, keys in the file that none of the
     * given settings declares are ignored (a tool reading only the shared settings from a service's file).
     */
    public static ConfigValues load(Collection<Setting<?>> declared, Map<String, String> env, Path propertiesFile,
                                    boolean strict) {
        Map<String, Setting<?>> byName = new LinkedHashMap<>();
        for (Setting<?> s : declared) {
            if (byName.putIfAbsent(s.name(), s) != null) {
                throw new IllegalArgumentException("setting '" + s.name() + "' is declared twice");
            }
        }
        List<String> problems = new ArrayList<>();
        Properties file = propertiesFile == null ? new Properties() : readProperties(propertiesFile);
        String fileLabel = propertiesFile == null ? null : "properties file " + propertiesFile;

        Map<String, String> kafka = new TreeMap<>();
        Map<String, String> registry = new TreeMap<>();
        for (String key : file.stringPropertyNames()) {
            if (key.startsWith(KAFKA_PREFIX)) {
                kafka.put(key.substring(KAFKA_PREFIX.length()), file.getProperty(key).trim());
            } else if (key.startsWith(REGISTRY_PREFIX)) {
                registry.put(key.substring(REGISTRY_PREFIX.length()), file.getProperty(key).trim());
            } else if (strict && !byName.containsKey(key)) {
                problems.add("unknown setting '" + key + "' in " + fileLabel
                        + " (known settings: " + String.join(", ", byName.keySet())
                        + "; Kafka client settings take the prefix '" + KAFKA_PREFIX + "')");
            }
        }
        // The environment wins over the file, for pass-through settings too.
        env.forEach((name, value) -> {
            if (name.startsWith(KAFKA_ENV_PREFIX) && name.length() > KAFKA_ENV_PREFIX.length()) {
                kafka.put(envToProperty(name.substring(KAFKA_ENV_PREFIX.length())), value.trim());
            } else if (name.startsWith(REGISTRY_ENV_PREFIX) && name.length() > REGISTRY_ENV_PREFIX.length()) {
                registry.put(envToProperty(name.substring(REGISTRY_ENV_PREFIX.length())), value.trim());
            }
        });

        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (Setting<?> s : byName.values()) {
            String raw;
            String source;
            if (env.get(s.envVar()) != null) {
                raw = env.get(s.envVar());
                source = "environment variable " + s.envVar();
            } else if (file.getProperty(s.name()) != null) {
                raw = file.getProperty(s.name());
                source = fileLabel;
            } else {
                raw = s.defaultValue();
                source = "default";
            }
            if (raw == null) {
                problems.add("missing required setting '" + s.name() + "': set " + s.envVar()
                        + " or '" + s.name() + "' in the properties file (" + s.description() + ")");
                continue;
            }
            String shown = s.secret() ? "****" : raw;
            try {
                Object parsed = s.parser().apply(raw.trim());
                String problem = check(s, parsed);
                if (problem != null) {
                    problems.add("invalid value '" + shown + "' for setting '" + s.name() + "' (from " + source + "): "
                            + problem);
                    continue;
                }
                values.put(s.name(), parsed);
                sources.put(s.name(), source);
            } catch (IllegalArgumentException e) {
                problems.add("invalid value '" + shown + "' for setting '" + s.name() + "' (from " + source + "): "
                        + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new ConfigValues(values, sources, byName, kafka, registry);
    }

    @SuppressWarnings("unchecked")
    private static <T> String check(Setting<T> s, Object parsed) {
        return s.validator().problem((T) parsed);
    }

    /** ODPO_KAFKA_SASL_JAAS_CONFIG -> sasl.jaas.config: lower case, underscores as dots. */
    static String envToProperty(String envSuffix) {
        return envSuffix.toLowerCase(Locale.ROOT).replace('_', '.');
    }

    private static Properties readProperties(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new ConfigException("properties file " + path + " does not exist or is not a file");
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(path)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("cannot read properties file " + path + ": " + e.getMessage());
        }
        return p;
    }

    /** The parsed value of a declared setting. */
    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        if (!values.containsKey(setting.name())) {
            throw new IllegalArgumentException("setting '" + setting.name() + "' was not declared when loading");
        }
        return (T) values.get(setting.name());
    }

    /** Where a setting's value came from: an environment variable, the properties file, or the default. */
    public String sourceOf(Setting<?> setting) {
        return sources.get(setting.name());
    }

    /** Kafka client settings passed through (prefix stripped), for every client the service builds. */
    public Map<String, String> kafkaPassThrough() {
        return kafka;
    }

    /** Schema-registry client settings passed through (prefix stripped), for every serde. */
    public Map<String, String> registryPassThrough() {
        return registry;
    }

    /** One line per setting with its value and source, secrets masked: for the start-up log. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        for (Setting<?> s : settings.values()) {
            Object v = values.get(s.name());
            String shown = v instanceof List<?> list ? String.join(",", list.stream().map(String::valueOf).toList())
                    : String.valueOf(v);
            sb.append("  ").append(s.name()).append(" = ").append(s.secret() ? "****" : shown)
                    .append("  (").append(sources.get(s.name())).append(")\n");
        }
        kafka.forEach((k, v) -> sb.append("  ").append(KAFKA_PREFIX).append(k).append(" = ")
                .append(isSecretKey(k) ? "****" : v).append("  (pass-through)\n"));
        registry.forEach((k, v) -> sb.append("  ").append(REGISTRY_PREFIX).append(k).append(" = ")
                .append(isSecretKey(k) ? "****" : v).append("  (pass-through)\n"));
        return sb.toString();
    }

    /** Pass-through keys that carry credentials: never logged. */
    static boolean isSecretKey(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("jaas") || k.contains("secret") || k.contains("user.info")
                || k.contains("token") || k.contains("key");
    }

    /** Every setting with its environment variable, type, default and description: for --help. */
    public static String describe(Collection<Setting<?>> settings) {
        StringBuilder sb = new StringBuilder();
        sb.append("Settings (environment variable, or key in the properties file given by --config or ")
                .append(CONFIG_FILE_ENV).append("; the environment wins):\n");
        for (Setting<?> s : settings) {
            sb.append(String.format("  %-34s %-40s %-8s %s%n", s.name(), s.envVar(), s.type(),
                    s.isRequired() ? "(required)" : "default: " + (s.defaultValue().isEmpty() ? "\"\"" : s.defaultValue())));
            sb.append("      ").append(s.description()).append('\n');
        }
        sb.append("  Any Kafka client setting, e.g. SASL/SSL: kafka.<setting> in the file or ")
                .append(KAFKA_ENV_PREFIX).append("<SETTING> (dots as underscores),\n")
                .append("      e.g. ODPO_KAFKA_SECURITY_PROTOCOL=SASL_SSL, ODPO_KAFKA_SASL_MECHANISM=PLAIN.\n")
                .append("  Schema-registry client settings: registry.<setting> or ").append(REGISTRY_ENV_PREFIX)
                .append("<SETTING>,\n      e.g. ODPO_REGISTRY_BASIC_AUTH_CREDENTIALS_SOURCE=USER_INFO.\n");
        return sb.toString();
    }
}

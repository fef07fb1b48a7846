package dev.odpo.kafka.config;

import java.util.List;

/**
 * Configuration that cannot be used: each problem names the setting, where its value came from and the
 * bad value. Thrown at start, before any Kafka client is built.
 */
public final class ConfigException extends RuntimeException {

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(problems.size() == 1
                ? "Invalid configuration: " + problems.get(0)
                : "Invalid configuration (" + problems.size() + " problems):\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public ConfigException(String problem) {
        this(List.of(problem));
    }

    /** One line per problem, each naming the setting. */
    public List<String> problems() {
        return problems;
    }
}

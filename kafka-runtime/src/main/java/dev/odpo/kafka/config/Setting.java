package dev.odpo.kafka.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * One configuration setting, declared once: its name (as written in a properties file), the
 * environment variable that sets it, its type, default, validation and description.
 *
 * <p>Settings are immutable; the {@code with...} methods return a changed copy, so a declaration reads
 * as one expression:
 * <pre>{@code
 * static final Setting<Integer> MAX_PROMPT_CHARS =
 *     Setting.integer("generator.max.prompt.chars", 8192, 1, 1_000_000,
 *         "Prompts longer than this many characters go to the dead-letter topic.");
 * }</pre>
 *
 * @param name        the key in a properties file, e.g. {@code bootstrap.servers}
 * @param envVar      the environment variable, e.g. {@code ODPO_BOOTSTRAP_SERVERS}
 * @param type        a short type label shown by {@code describe}: string, int, boolean, duration, list
 * @param parser      turns the raw text into a value; throws {@link IllegalArgumentException} with the reason
 * @param validator   checks a parsed value; returns null when valid, else what is wrong
 * @param defaultValue the raw default, or null when the setting is required
 * @param description one or two sentences for --help
 * @param secret      whether the value must never be printed (passwords, credentials)
 */
public record Setting<T>(String name, String envVar, String type, Function<String, T> parser,
                         Validator<T> validator, String defaultValue, String description, boolean secret) {

    /** Checks a parsed value: null when valid, otherwise a short phrase saying what is expected. */
    @FunctionalInterface
    public interface Validator<T> {
        String problem(T value);

        static <T> Validator<T> none() {
            return value -> null;
        }
    }

    public Setting {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(envVar, "envVar");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(parser, "parser");
        Objects.requireNonNull(validator, "validator");
        Objects.requireNonNull(description, "description");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a setting needs a name");
        }
    }

    /** The environment variable for a setting name: ODPO_ + upper case, dots and dashes as underscores. */
    public static String envVarFor(String name) {
        return "ODPO_" + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public static Setting<String> string(String name, String defaultValue, String description) {
        return new Setting<>(name, envVarFor(name), "string", s -> s, Validator.none(), defaultValue, description, false);
    }

    /**
     * A finite decimal number; {@code valid} says which are allowed and {@code expected} how to say so when one
     * is not (e.g. {@code "must be > 0"}).
     */
    public static Setting<Double> number(String name, String defaultValue, java.util.function.DoublePredicate valid,
                                         String expected, String description) {
        return new Setting<>(name, envVarFor(name), "number", raw -> {
            try {
                return Double.parseDouble(raw.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a number");
            }
        }, v -> !Double.isFinite(v) ? "must be a finite number" : valid.test(v) ? null : expected, defaultValue,
                description, false);
    }

    public static Setting<Integer> integer(String name, int defaultValue, int min, int max, String description) {
        return new Setting<>(name, envVarFor(name), "int", Setting::parseInt,
                v -> v < min || v > max ? "must be between " + min + " and " + max : null,
                Integer.toString(defaultValue), description, false);
    }

    public static Setting<Long> longValue(String name, long defaultValue, long min, long max, String description) {
        return new Setting<>(name, envVarFor(name), "long", Setting::parseLong,
                v -> v < min || v > max ? "must be between " + min + " and " + max : null,
                Long.toString(defaultValue), description, false);
    }

    public static Setting<Boolean> bool(String name, boolean defaultValue, String description) {
        return new Setting<>(name, envVarFor(name), "boolean", Setting::parseBoolean, Validator.none(),
                Boolean.toString(defaultValue), description, false);
    }

    /** A duration written as ISO-8601 (PT30S) or as a number with a unit: 500ms, 30s, 5m, 2h, 7d. */
    public static Setting<Duration> duration(String name, String defaultValue, String description) {
        return new Setting<>(name, envVarFor(name), "duration", Setting::parseDuration,
                v -> v.isNegative() ? "must not be negative" : null, defaultValue, description, false);
    }

    /** A comma-separated list; blanks around items are trimmed, empty items dropped. */
    public static Setting<List<String>> list(String name, String defaultValue, String description) {
        return new Setting<>(name, envVarFor(name), "list", Setting::parseList,
                v -> v.isEmpty() ? "must name at least one item" : null, defaultValue, description, false);
    }

    public Setting<T> withValidator(Validator<T> more) {
        Validator<T> first = validator;
        Validator<T> both = v -> {
            String p = first.problem(v);
            return p != null ? p : more.problem(v);
        };
        return new Setting<>(name, envVar, type, parser, both, defaultValue, description, secret);
    }

    public Setting<T> withEnvVar(String env) {
        return new Setting<>(name, env, type, parser, validator, defaultValue, description, secret);
    }

    /** Marks the setting required: no default, and a missing value fails at start. */
    public Setting<T> required() {
        return new Setting<>(name, envVar, type, parser, validator, null, description, secret);
    }

    public Setting<T> asSecret() {
        return new Setting<>(name, envVar, type, parser, validator, defaultValue, description, true);
    }

    public boolean isRequired() {
        return defaultValue == null;
    }

    static int parseInt(String raw) {
        try {
            return Integer.parseInt(raw.trim().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an integer");
        }
    }

    static long parseLong(String raw) {
        try {
            return Long.parseLong(raw.trim().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an integer");
        }
    }

    static boolean parseBoolean(String raw) {
        return switch (raw.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException("not a boolean (true or false)");
        };
    }

    static Duration parseDuration(String raw) {
        String s = raw.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.startsWith("p") || s.startsWith("-p")) {
                return Duration.parse(s.toUpperCase(Locale.ROOT));
            }
            int split = 0;
            while (split < s.length() && (Character.isDigit(s.charAt(split)) || s.charAt(split) == '-')) {
                split++;
            }
            long amount = Long.parseLong(s.substring(0, split));
            return switch (s.substring(split).trim()) {
                case "ms" -> Duration.ofMillis(amount);
                case "s", "" -> Duration.ofSeconds(amount);
                case "m", "min" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                case "d" -> Duration.ofDays(amount);
                default -> throw new IllegalArgumentException("bad unit");
            };
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException("not a duration (e.g. 500ms, 30s, 5m, 2h, 7d or PT30S)");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a duration (e.g. 500ms, 30s, 5m, 2h, 7d or PT30S)");
        }
    }

    static List<String> parseList(String raw) {
        return Arrays.stream(raw.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}

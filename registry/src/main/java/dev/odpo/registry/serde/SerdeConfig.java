package dev.odpo.registry.serde;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/**
 * The Confluent serde settings odpo understands.
 *
 * @param autoRegister     {@code auto.register.schemas} (default true): register the record's schema on first use
 * @param useLatestVersion {@code use.latest.version} (default false): with auto-register off, write with the
 *                         subject's latest schema instead of looking up the record's own
 * @param cacheCapacity    {@code max.schemas.per.subject} (default 1000): bound of each schema/id cache
 */
record SerdeConfig(boolean autoRegister, boolean useLatestVersion, int cacheCapacity) {

    static final String AUTO_REGISTER = "auto.register.schemas";
    static final String USE_LATEST_VERSION = "use.latest.version";
    static final String CACHE_CAPACITY = "max.schemas.per.subject";

    static SerdeConfig parse(Map<String, ?> configs) {
        return new SerdeConfig(bool(configs, AUTO_REGISTER, true), bool(configs, USE_LATEST_VERSION, false),
                positiveInt(configs, CACHE_CAPACITY, 1000));
    }

    private static boolean bool(Map<String, ?> configs, String key, boolean dflt) {
        Object v = configs.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        String s = v.toString().trim().toLowerCase();
        if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
        }
        throw new ConfigException(key, v, "must be true or false");
    }

    private static int positiveInt(Map<String, ?> configs, String key, int dflt) {
        Object v = configs.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            int i = v instanceof Number n ? n.intValue() : Integer.parseInt(v.toString().trim());
            if (i > 0) {
                return i;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new ConfigException(key, v, "must be a positive integer");
    }
}

package dev.odpo.registry.client;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/** Builds a registry client from Confluent's serde settings. */
public final class SchemaRegistryClients {

    public static final String URL = "schema.registry.url";
    public static final String CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    public static final String USER_INFO = "basic.auth.user.info";

    private SchemaRegistryClients() {
    }

    /**
     * {@code schema.registry.url}: a comma-separated list of registry URLs, or {@code mock://<scope>} for the
     * in-process test registry. {@code basic.auth.credentials.source}: URL (user:password in the URL, the default)
     * or USER_INFO (from {@code basic.auth.user.info}).
     */
    public static SchemaRegistryClient fromConfig(Map<String, ?> configs) {
        Object raw = configs.get(URL);
        if (raw == null || raw.toString().isBlank()) {
            throw new ConfigException(URL, raw, "the schema registry URL is required, e.g. http://127.0.0.1:8081 or mock://test");
        }
        List<String> urls = Arrays.stream(raw.toString().split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (urls.get(0).startsWith(MockSchemaRegistry.URL_PREFIX)) {
            if (urls.size() > 1) {
                throw new ConfigException(URL, raw, "a mock:// registry cannot be combined with other URLs");
            }
            return MockSchemaRegistry.forScope(urls.get(0).substring(MockSchemaRegistry.URL_PREFIX.length()));
        }
        Object rawSource = configs.get(CREDENTIALS_SOURCE);
        String source = (rawSource == null ? "URL" : rawSource.toString()).trim().toUpperCase();
        String userInfo = switch (source) {
            case "URL" -> null;
            case "USER_INFO" -> {
                Object info = configs.get(USER_INFO);
                if (info == null || !info.toString().contains(":")) {
                    throw new ConfigException(USER_INFO, info == null ? null : "<hidden>",
                            "must be user:password when " + CREDENTIALS_SOURCE + "=USER_INFO");
                }
                yield info.toString();
            }
            default -> throw new ConfigException(CREDENTIALS_SOURCE, source, "supported sources are URL and USER_INFO");
        };
        return new RestSchemaRegistryClient(urls, userInfo);
    }
}

package dev.odpo.registry.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The key/value JSON of {@link RegistryRecord}s in the {@code _schemas} topic, laid out as Confluent's registry
 * lays out its own: key {@code {"keytype":"SCHEMA","subject","version","magic":1}} with value
 * {@code {"subject","version","id","schema","deleted"}}, and key {@code {"keytype":"CONFIG","subject","magic":0}}
 * with value {@code {"compatibilityLevel"}} (a null value unsets a subject's level). One key per subject version
 * and per config, so compaction keeps exactly the newest record of each.
 */
final class RegistryRecordJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RegistryRecordJson() {
    }

    static String key(RegistryRecord record) {
        ObjectNode key = JSON.createObjectNode();
        if (record instanceof RegistryRecord.SchemaRegistered s) {
            key.put("keytype", "SCHEMA").put("subject", s.subject()).put("version", s.version()).put("magic", 1);
        } else if (record instanceof RegistryRecord.CompatibilitySet c) {
            key.put("keytype", "CONFIG").put("subject", c.subject()).put("magic", 0);
        }
        return key.toString();
    }

    /** The value, or null (a tombstone) for a subject level being unset. */
    static String value(RegistryRecord record) {
        if (record instanceof RegistryRecord.SchemaRegistered s) {
            return JSON.createObjectNode().put("subject", s.subject()).put("version", s.version()).put("id", s.id())
                    .put("schema", s.schema()).put("deleted", false).toString();
        }
        RegistryRecord.CompatibilitySet c = (RegistryRecord.CompatibilitySet) record;
        return c.level() == null ? null : JSON.createObjectNode().put("compatibilityLevel", c.level()).toString();
    }

    /** Decodes one topic record; null for record kinds this registry does not use (e.g. Confluent's NOOP). */
    static RegistryRecord decode(String key, String value) {
        try {
            JsonNode k = JSON.readTree(key);
            String type = k.path("keytype").asText();
            if (type.equals("SCHEMA")) {
                if (value == null) {
                    return null;
                }
                JsonNode v = JSON.readTree(value);
                if (v.path("deleted").asBoolean(false)) {
                    return null;
                }
                return new RegistryRecord.SchemaRegistered(v.path("subject").asText(), v.path("version").asInt(),
                        v.path("id").asInt(), v.path("schema").asText());
            }
            if (type.equals("CONFIG")) {
                String subject = k.path("subject").isTextual() ? k.path("subject").asText() : null;
                String level = value == null ? null : JSON.readTree(value).path("compatibilityLevel").asText(null);
                return new RegistryRecord.CompatibilitySet(subject, level);
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable registry record with key " + key + ": " + e.getMessage(), e);
        }
    }
}

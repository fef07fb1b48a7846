package dev.odpo.registry.server;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The registry's state, rebuilt by applying {@link RegistryRecord}s in log order. Thread-safe: records are
 * applied by the log's reader while requests read.
 */
final class RegistryState {

    /** One version of a subject. */
    record Version(String subject, int version, int id, String schema) {
    }

    private final Map<String, TreeMap<Integer, Version>> subjects = new TreeMap<>();
    private final Map<Integer, String> schemasById = new HashMap<>();
    private final Map<String, Integer> idsBySchema = new HashMap<>();
    private final Map<String, String> subjectLevels = new HashMap<>();
    private final String defaultLevel;
    private String globalLevel;
    private int maxId;

    RegistryState(String defaultLevel) {
        this.defaultLevel = defaultLevel;
        this.globalLevel = defaultLevel;
    }

    synchronized void apply(RegistryRecord record) {
        if (record instanceof RegistryRecord.SchemaRegistered r) {
            subjects.computeIfAbsent(r.subject(), s -> new TreeMap<>())
                    .put(r.version(), new Version(r.subject(), r.version(), r.id(), r.schema()));
            schemasById.putIfAbsent(r.id(), r.schema());
            idsBySchema.putIfAbsent(r.schema(), r.id());
            maxId = Math.max(maxId, r.id());
        } else if (record instanceof RegistryRecord.CompatibilitySet c) {
            if (c.subject() == null) {
                globalLevel = c.level() == null ? defaultLevel : c.level();
            } else if (c.level() == null) {
                subjectLevels.remove(c.subject());
            } else {
                subjectLevels.put(c.subject(), c.level());
            }
        }
    }

    synchronized List<String> subjects() {
        return List.copyOf(subjects.keySet());
    }

    /** Versions of a subject, oldest first; empty if the subject is unknown. */
    synchronized List<Version> versions(String subject) {
        TreeMap<Integer, Version> v = subjects.get(subject);
        return v == null ? List.of() : new ArrayList<>(v.values());
    }

    synchronized Optional<String> schemaById(int id) {
        return Optional.ofNullable(schemasById.get(id));
    }

    synchronized Optional<Integer> idOf(String canonicalSchema) {
        return Optional.ofNullable(idsBySchema.get(canonicalSchema));
    }

    /** Subjects that hold the schema with this id. */
    synchronized List<String> subjectsOf(int id) {
        List<String> out = new ArrayList<>();
        subjects.forEach((s, versions) -> {
            if (versions.values().stream().anyMatch(v -> v.id() == id)) {
                out.add(s);
            }
        });
        return out;
    }

    synchronized int maxId() {
        return maxId;
    }

    synchronized String globalLevel() {
        return globalLevel;
    }

    synchronized Optional<String> subjectLevel(String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }
}

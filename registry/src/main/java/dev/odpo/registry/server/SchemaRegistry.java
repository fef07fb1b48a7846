package dev.odpo.registry.server;

import static dev.odpo.registry.client.SchemaRegistryException.INCOMPATIBLE_SCHEMA;
import static dev.odpo.registry.client.SchemaRegistryException.INVALID_SCHEMA;
import static dev.odpo.registry.client.SchemaRegistryException.SCHEMA_NOT_FOUND;
import static dev.odpo.registry.client.SchemaRegistryException.SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED;
import static dev.odpo.registry.client.SchemaRegistryException.SUBJECT_NOT_FOUND;
import static dev.odpo.registry.client.SchemaRegistryException.VERSION_NOT_FOUND;

import dev.odpo.registry.client.SchemaMetadata;
import dev.odpo.registry.client.SchemaRegistryClient;
import dev.odpo.registry.client.SchemaRegistryException;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's rules, shared by the HTTP server and the in-process {@code mock://} registry: a schema is
 * identified by its canonical text (Avro's parsed form, so formatting does not matter); the same schema gets the
 * same global id in every subject; a new version must satisfy the subject's compatibility level (its own, else
 * the global one). Writes go through the {@link RegistryLog} and take effect when the log applies them.
 */
public final class SchemaRegistry implements SchemaRegistryClient, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistry.class);

    private final RegistryState state;
    private final RegistryLog log;
    private final Object writeLock = new Object();

    /** Opens the log (replaying what it holds) with {@code defaultLevel} as the global level until one is set. */
    public SchemaRegistry(RegistryLog log, String defaultLevel) {
        this.state = new RegistryState(CompatibilityLevel.parse(defaultLevel).name());
        this.log = log;
        log.open(state::apply);
    }

    /** Parses schema text and returns Avro's canonical rendering of it; 42201 if it is not a valid Avro schema. */
    public static String canonical(String schemaText) {
        return parse(schemaText).toString();
    }

    static Schema parse(String schemaText) {
        if (schemaText == null || schemaText.isBlank()) {
            throw new SchemaRegistryException(INVALID_SCHEMA, "Invalid schema: empty");
        }
        try {
            return new Schema.Parser().parse(schemaText);
        } catch (SchemaParseException | org.apache.avro.AvroTypeException e) {
            throw new SchemaRegistryException(INVALID_SCHEMA, "Invalid schema: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new SchemaRegistryException(INVALID_SCHEMA, "Invalid schema: " + e, e);
        }
    }

    /** Registers schema text under a subject; returns its id (the existing one if already registered there). */
    public int register(String subject, String schemaText) {
        String canonical = canonical(schemaText);
        synchronized (writeLock) {
            List<RegistryState.Version> versions = state.versions(subject);
            for (RegistryState.Version v : versions) {
                if (v.schema().equals(canonical)) {
                    return v.id();
                }
            }
            CompatibilityLevel level = CompatibilityLevel.parse(compatibility(subject));
            List<String> problems = level.violations(parse(canonical), versions.stream().map(v -> parse(v.schema())).toList());
            if (!problems.isEmpty()) {
                throw new SchemaRegistryException(INCOMPATIBLE_SCHEMA, "Schema being registered is incompatible with an "
                        + "earlier schema for subject \"" + subject + "\" (compatibility " + level + "): " + String.join("; ", problems));
            }
            int id = state.idOf(canonical).orElse(state.maxId() + 1);
            int version = versions.isEmpty() ? 1 : versions.get(versions.size() - 1).version() + 1;
            log.append(new RegistryRecord.SchemaRegistered(subject, version, id, canonical));
            LOG.info("registered {} as version {} of subject {} with id {}", parse(canonical).getFullName(), version, subject, id);
            return id;
        }
    }

    @Override
    public int register(String subject, Schema schema) {
        return register(subject, schema.toString());
    }

    /** The version of {@code subject} holding this schema text; 40401 / 40403 if none. */
    public SchemaMetadata lookup(String subject, String schemaText) {
        String canonical = canonical(schemaText);
        List<RegistryState.Version> versions = existingVersions(subject);
        return versions.stream().filter(v -> v.schema().equals(canonical)).findFirst().map(SchemaRegistry::metadata)
                .orElseThrow(() -> new SchemaRegistryException(SCHEMA_NOT_FOUND, "Schema not found under subject '" + subject + "'"));
    }

    @Override
    public SchemaMetadata lookup(String subject, Schema schema) {
        return lookup(subject, schema.toString());
    }

    /** The canonical text of the schema with this id; 40403 if none. */
    public String schemaText(int id) {
        return state.schemaById(id).orElseThrow(() -> new SchemaRegistryException(SCHEMA_NOT_FOUND, "Schema " + id + " not found"));
    }

    @Override
    public Schema getById(int id) {
        return parse(schemaText(id));
    }

    /** Subjects holding the schema with this id; 40403 if the id is unknown. */
    public List<String> subjectsOf(int id) {
        schemaText(id);
        return state.subjectsOf(id);
    }

    @Override
    public List<String> subjects() {
        return state.subjects();
    }

    @Override
    public List<Integer> versions(String subject) {
        return existingVersions(subject).stream().map(RegistryState.Version::version).toList();
    }

    @Override
    public SchemaMetadata version(String subject, int version) {
        return existingVersions(subject).stream().filter(v -> v.version() == version).findFirst().map(SchemaRegistry::metadata)
                .orElseThrow(() -> new SchemaRegistryException(VERSION_NOT_FOUND,
                        "Version " + version + " not found for subject '" + subject + "'"));
    }

    @Override
    public SchemaMetadata latest(String subject) {
        List<RegistryState.Version> versions = existingVersions(subject);
        return metadata(versions.get(versions.size() - 1));
    }

    /** Whether schema text may follow the versions of {@code subject} under its level (all versions the level checks). */
    public boolean isCompatible(String subject, String schemaText) {
        return compatibilityProblems(subject, schemaText, null).isEmpty();
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) {
        return isCompatible(subject, schema.toString());
    }

    /**
     * Why schema text may not be registered under {@code subject}: checked against one version, or (version null)
     * against the versions its level covers. 40401 / 40402 if the subject or version is missing.
     */
    public List<String> compatibilityProblems(String subject, String schemaText, Integer version) {
        Schema candidate = parse(schemaText);
        List<RegistryState.Version> versions = existingVersions(subject);
        List<Schema> against = version == null
                ? versions.stream().map(v -> parse(v.schema())).toList()
                : List.of(parse(version(subject, version).schema()));
        return CompatibilityLevel.parse(compatibility(subject)).violations(candidate, against);
    }

    @Override
    public String globalCompatibility() {
        return state.globalLevel();
    }

    @Override
    public void setGlobalCompatibility(String level) {
        String parsed = CompatibilityLevel.parse(level).name();
        synchronized (writeLock) {
            log.append(new RegistryRecord.CompatibilitySet(null, parsed));
        }
    }

    @Override
    public String compatibility(String subject) {
        return state.subjectLevel(subject).orElseGet(state::globalLevel);
    }

    /** The level set on the subject itself; 40408 if it has none. */
    public String subjectCompatibility(String subject) {
        return state.subjectLevel(subject).orElseThrow(() -> new SchemaRegistryException(SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED,
                "Subject '" + subject + "' does not have subject-level compatibility configured"));
    }

    @Override
    public void setCompatibility(String subject, String level) {
        String parsed = CompatibilityLevel.parse(level).name();
        synchronized (writeLock) {
            log.append(new RegistryRecord.CompatibilitySet(subject, parsed));
        }
    }

    /** Removes a subject's own level, so the global one applies; returns the level it had (40408 if none). */
    public String deleteCompatibility(String subject) {
        synchronized (writeLock) {
            String old = subjectCompatibility(subject);
            log.append(new RegistryRecord.CompatibilitySet(subject, null));
            return old;
        }
    }

    @Override
    public void close() {
        log.close();
    }

    private List<RegistryState.Version> existingVersions(String subject) {
        List<RegistryState.Version> versions = state.versions(subject);
        if (versions.isEmpty()) {
            throw new SchemaRegistryException(SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
        }
        return versions;
    }

    private static SchemaMetadata metadata(RegistryState.Version v) {
        return new SchemaMetadata(v.subject(), v.version(), v.id(), v.schema());
    }
}

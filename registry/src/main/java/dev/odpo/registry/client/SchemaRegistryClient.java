package dev.odpo.registry.client;

import java.util.List;
import org.apache.avro.Schema;

/**
 * The operations of Confluent's Schema Registry REST API that odpo uses. Implementations: {@link
 * RestSchemaRegistryClient} (any Confluent-compatible registry over HTTP, odpo's own or Confluent's) and the
 * in-process registry behind {@code mock://<scope>} URLs ({@link MockSchemaRegistry}). Every failure is a
 * {@link SchemaRegistryException} with Confluent's error code.
 */
public interface SchemaRegistryClient {

    /** Registers {@code schema} under {@code subject} (or finds it there) and returns its global id. */
    int register(String subject, Schema schema);

    /** The subject/version/id of {@code schema} if it is registered under {@code subject}; 40401 or 40403 if not. */
    SchemaMetadata lookup(String subject, Schema schema);

    /** The schema with this global id; 40403 if there is none. */
    Schema getById(int id);

    /** All subjects, sorted. */
    List<String> subjects();

    /** The versions registered under {@code subject}, ascending; 40401 if the subject is unknown. */
    List<Integer> versions(String subject);

    /** One version of a subject; 40401 / 40402 if missing. */
    SchemaMetadata version(String subject, int version);

    /** The newest version of a subject; 40401 if the subject is unknown. */
    SchemaMetadata latest(String subject);

    /** Whether {@code schema} may be registered under {@code subject} given its compatibility level. */
    boolean isCompatible(String subject, Schema schema);

    /** The global compatibility level, e.g. "BACKWARD". */
    String globalCompatibility();

    /** Sets the global compatibility level; 42203 if it is not a level. */
    void setGlobalCompatibility(String level);

    /** The level that applies to {@code subject}: its own if set, else the global one. */
    String compatibility(String subject);

    /** Sets the level of one subject; 42203 if it is not a level. */
    void setCompatibility(String subject, String level);
}

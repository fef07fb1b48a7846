package dev.odpo.registry.client;

/** One version of a subject: {@code {"subject", "version", "id", "schema"}} in Confluent's REST API. */
public record SchemaMetadata(String subject, int version, int id, String schema) {
}

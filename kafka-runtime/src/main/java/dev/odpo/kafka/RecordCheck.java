package dev.odpo.kafka;

import java.util.ArrayList;
import java.util.List;

/**
 * Validates a decoded record before a service handles it. Returns what is wrong (each problem a short
 * phrase naming the field), or an empty list when the record is fine. Problems send the record to the
 * dead-letter topic.
 */
@FunctionalInterface
public interface RecordCheck<K, V> {

    List<String> problems(K key, V value);

    static <K, V> RecordCheck<K, V> none() {
        return (k, v) -> List.of();
    }

    /** Collects problems for a record, field by field. */
    final class Problems {
        private static final char REPLACEMENT_CHARACTER = '\uFFFD';
        private final List<String> problems = new ArrayList<>();

        /** An id must be present and not blank. */
        public Problems id(String field, String value) {
            if (value == null || value.isBlank()) {
                problems.add(field + " is missing or blank");
            }
            return this;
        }

        /**
         * Text must be present, not blank, at most maxChars characters long and decoded from valid UTF-8 (Avro
         * decodes invalid bytes to U+FFFD, the replacement character, rather than failing).
         */
        public Problems text(String field, String value, int maxChars) {
            if (value == null || value.isBlank()) {
                problems.add(field + " is empty");
            } else if (value.indexOf(REPLACEMENT_CHARACTER) >= 0) {
                problems.add(field + " holds bytes that are not valid UTF-8");
            } else if (value.length() > maxChars) {
                problems.add(field + " is too long: " + value.length() + " characters, at most " + maxChars + " allowed");
            }
            return this;
        }

        /** Records of per-prompt topics are keyed by their prompt_id. */
        public Problems keyMatches(String key, String field, String value) {
            if (value != null && !value.isBlank() && key != null && !key.equals(value)) {
                problems.add("record key '" + key + "' differs from " + field + " '" + value + "'");
            }
            return this;
        }

        public Problems check(boolean ok, String problem) {
            if (!ok) {
                problems.add(problem);
            }
            return this;
        }

        public List<String> list() {
            return List.copyOf(problems);
        }
    }
}

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

    /**
     * The largest group of samples of one prompt any service takes: the ceiling of the generator's
     * {@code generator.n}, the scorer's limit and the pair-builder's {@code pair-builder.max.group.size}. A sample
     * or score claiming a larger group is dead-lettered: such a group could never be completed, and a pair-builder
     * would hold its samples until they time out.
     */
    int MAX_GROUP_SIZE = 1024;

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

        /** A group size must be 1..max, and an index in the group 0..size-1. */
        public Problems groupMember(int groupSize, int indexInGroup, int max) {
            if (groupSize < 1 || groupSize > max) {
                problems.add("group_size " + groupSize + " is outside 1.." + max);
            } else if (indexInGroup < 0 || indexInGroup >= groupSize) {
                problems.add("index_in_group " + indexInGroup + " is outside the group of " + groupSize);
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

package dev.odpo.learner;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which consumed offsets may be committed. A record is done once it was trained on, skipped or
 * dead-lettered; a pair waiting in the learner's buffer is pending. A partition's committable offset is its
 * first pending record, or one past the last record seen when none is pending — so a commit never passes a
 * pair that is not yet in the model, even when later records of its partition were already skipped.
 */
final class PendingOffsets {

    private final Map<TopicPartition, Long> next = new HashMap<>();
    private final Map<TopicPartition, TreeSet<Long>> pending = new HashMap<>();

    /** A record was consumed and is done (skipped, dead-lettered) unless {@link #hold} marks it pending. */
    void seen(TopicPartition tp, long offset) {
        next.merge(tp, offset + 1, Math::max);
    }

    /** A consumed record waits in the buffer. */
    void hold(TopicPartition tp, long offset) {
        seen(tp, offset);
        pending.computeIfAbsent(tp, k -> new TreeSet<>()).add(offset);
    }

    /** A buffered record is now in the model (or was dropped with its batch). */
    void release(TopicPartition tp, long offset) {
        TreeSet<Long> s = pending.get(tp);
        if (s != null) {
            s.remove(offset);
        }
    }

    /** Offsets to commit now, per partition seen. */
    Map<TopicPartition, OffsetAndMetadata> committable() {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        next.forEach((tp, n) -> {
            TreeSet<Long> s = pending.get(tp);
            out.put(tp, new OffsetAndMetadata(s == null || s.isEmpty() ? n : s.first()));
        });
        return out;
    }
}

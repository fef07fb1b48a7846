package dev.odpo.pairs;

import dev.odpo.events.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/** Builds DeadLetter events for records the pair-builder cannot use; it never drops one silently. */
final class DeadLetterRecords {
    static final String SERVICE = "pair-builder";

    private DeadLetterRecords() {}

    /** Where a bad record came from and what it held. */
    record Origin(String topic, int partition, long offset, String key, byte[] value, Headers headers) {}

    static DeadLetter of(Origin origin, String errorClass, String reason, Instant now) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (origin.headers() != null) {
            for (Header h : origin.headers()) {
                headers.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
            }
        }
        // deterministic: the same bad record always yields the same dead letter id
        String id = UUID.nameUUIDFromBytes((SERVICE + "|" + origin.topic() + "|" + origin.partition() + "|"
                + origin.offset() + "|" + reason).getBytes(StandardCharsets.UTF_8)).toString();
        return DeadLetter.newBuilder()
                .setDeadLetterId(id)
                .setCreatedAt(now)
                .setService(SERVICE)
                .setSourceTopic(origin.topic())
                .setSourcePartition(origin.partition())
                .setSourceOffset(origin.offset())
                .setKey(origin.key() == null ? null : ByteBuffer.wrap(origin.key().getBytes(StandardCharsets.UTF_8)))
                .setValue(origin.value() == null ? null : ByteBuffer.wrap(origin.value()))
                .setErrorClass(errorClass)
                .setReason(reason)
                .setHeaders(headers)
                .build();
    }
}

package dev.odpo.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/** A valid record as the handler sees it, with the raw bytes it was decoded from (for its dead letter). */
record DecodedRecord<K, V>(ConsumerRecord<byte[], byte[]> raw, ConsumerRecord<K, V> record) {
}

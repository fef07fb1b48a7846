package dev.odpo.pairs;

import dev.odpo.kafka.DeadLetters;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes one input topic's raw values inside the topology, so an undecodable or invalid record becomes
 * a dead letter in the same transaction as everything else (instead of stopping the application or
 * being skipped by a deserialization handler). Valid events go on to the named children.
 */
final class DecodingProcessor<V> implements Processor<String, byte[], String, Object> {
    private static final Logger log = LoggerFactory.getLogger(DecodingProcessor.class);

    private final Deserializer<V> deserializer;
    private final Function<Record<String, V>, Optional<String>> validator;
    private final List<String> children;
    private final PairBuilderMetrics metrics;
    private ProcessorContext<String, Object> context;

    /** {@code validator} returns the reason a decoded event is unusable, or empty. */
    DecodingProcessor(Deserializer<V> deserializer, Function<Record<String, V>, Optional<String>> validator,
                      List<String> children, PairBuilderMetrics metrics) {
        this.deserializer = deserializer;
        this.validator = validator;
        this.children = List.copyOf(children);
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, byte[]> record) {
        RecordMetadata meta = context.recordMetadata().orElseThrow();
        if (record.value() == null) {
            deadLetter(record, meta, DeadLetters.INVALID_RECORD, "record has no value (a tombstone); expected an Avro event");
            return;
        }
        V value;
        try {
            value = deserializer.deserialize(meta.topic(), record.headers(), record.value());
        } catch (RuntimeException e) {
            deadLetter(record, meta, DeadLetters.errorClass(e), "cannot decode: " + e.getMessage());
            return;
        }
        Record<String, V> decoded = record.withValue(value);
        Optional<String> invalid = validator.apply(decoded);
        if (invalid.isPresent()) {
            deadLetter(record, meta, DeadLetters.INVALID_RECORD, invalid.get());
            return;
        }
        Record<String, Object> out = record.withValue(new Decoded<>(value, record.value()));
        for (String child : children) {
            context.forward(out, child);
        }
    }

    private void deadLetter(Record<String, byte[]> record, RecordMetadata meta, String errorClass, String reason) {
        log.warn("dead letter from {}-{}@{}: {}", meta.topic(), meta.partition(), meta.offset(), reason);
        var origin = new DeadLetterRecords.Origin(meta.topic(), meta.partition(), meta.offset(), record.key(),
                record.value(), record.headers());
        var deadLetter = DeadLetterRecords.of(origin, errorClass, reason, Instant.ofEpochMilli(context.currentSystemTimeMs()));
        context.forward(record.withValue((Object) deadLetter), PairBuilderTopology.DEAD_LETTERS_SINK);
        metrics.deadLetter();
    }
}

package dev.odpo.kafka;

import dev.odpo.events.DeadLetter;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.registry.serde.UndecodableRecordException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes records a service could not process to the dead-letter topic, with their raw key and value
 * bytes, where they came from (topic, partition, offset), the error class and the reason. The dead letter
 * is keyed by the original key bytes, so it lands next to its prompt's other records.
 *
 * <p>It publishes through the producer it is given: its own ({@link #create}), or the transactional producer
 * of an exactly-once loop, so that a batch's dead letters commit or abort with the batch.
 */
public final class DeadLetters implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);

    /** Error class of a record that decoded but is unusable (failed its check, or a handler rejected it). */
    public static final String INVALID_RECORD = "InvalidRecord";

    /** A failure that names the kind its dead letter carries as error class (e.g. "SnapshotRefused"). */
    public interface Kinded {
        String deadLetterKind();
    }

    private final String service;
    private final Topic<String, DeadLetter> topic;
    private final Producer<byte[], byte[]> producer;
    /** Sends not yet confirmed by {@link #flush()}, with the source record each one is for. */
    private final List<Pending> pending = new ArrayList<>();

    private record Pending(String source, Future<RecordMetadata> future) {
    }

    public DeadLetters(String service, Topic<String, DeadLetter> topic, Producer<byte[], byte[]> producer) {
        this.service = service;
        this.topic = topic;
        this.producer = producer;
    }

    public static DeadLetters create(String service, Topics topics, KafkaSettings kafka) {
        return new DeadLetters(service, topics.deadLetters(),
                new KafkaProducer<>(kafka.rawProducer(service + "-dead-letters")));
    }

    /**
     * Sends one dead letter. The send is asynchronous: call {@link #flush()} before committing the source
     * offsets, so that a record is never committed without its dead letter being durable.
     *
     * @param errorClass the kind of failure, e.g. "UnknownSchema" or "InvalidRecord" (see {@link #errorClass(Throwable)})
     * @param reason     what was wrong, for a person reading the dead-letter topic
     */
    public Future<RecordMetadata> send(ConsumerRecord<byte[], byte[]> source, String errorClass, String reason) {
        DeadLetter letter = DeadLetter.newBuilder()
                .setDeadLetterId(UUID.randomUUID().toString())
                .setCreatedAt(Instant.now())
                .setService(service)
                .setSourceTopic(source.topic())
                .setSourcePartition(source.partition())
                .setSourceOffset(source.offset())
                .setKey(source.key() == null ? null : ByteBuffer.wrap(source.key()))
                .setValue(source.value() == null ? null : ByteBuffer.wrap(source.value()))
                .setErrorClass(errorClass)
                .setReason(reason)
                .setHeaders(headers(source))
                .build();
        byte[] value = topic.valueSerde().serializer().serialize(topic.name(), letter);
        log.warn("dead letter: {}[{}]@{} -> {}: {} ({})", source.topic(), source.partition(), source.offset(),
                topic.name(), reason, errorClass);
        Future<RecordMetadata> future = producer.send(new ProducerRecord<>(topic.name(), null, source.key(), value));
        pending.add(new Pending(source.topic() + "[" + source.partition() + "]@" + source.offset(), future));
        return future;
    }

    /** Sends a dead letter for a failure, naming its kind ({@link #errorClass}) and message (and its cause's). */
    public Future<RecordMetadata> send(ConsumerRecord<byte[], byte[]> source, Throwable error) {
        return send(source, errorClass(error), reason(error));
    }

    /**
     * The error class a dead letter gives for a failure: the kind of an undecodable record ("NotFramed",
     * "UnknownSchema", "IncompatibleSchema", "CorruptData"), the kind a {@link Kinded} failure names,
     * {@value #INVALID_RECORD} for an {@link InvalidRecordException}, otherwise the exception's class name.
     */
    public static String errorClass(Throwable error) {
        if (error instanceof UndecodableRecordException undecodable) {
            return undecodable.kind().label();
        }
        if (error instanceof Kinded kinded) {
            return kinded.deadLetterKind();
        }
        if (error instanceof InvalidRecordException) {
            return INVALID_RECORD;
        }
        return error.getClass().getName();
    }

    /** The reason a dead letter gives for a failure: the exception's message and its cause's. */
    static String reason(Throwable error) {
        String reason = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
        if (error.getCause() != null && error.getCause().getMessage() != null
                && !reason.contains(error.getCause().getMessage())) {
            reason = reason + ": " + error.getCause().getMessage();
        }
        return reason;
    }

    /**
     * Blocks until every dead letter sent so far is acknowledged by the broker.
     *
     * @throws KafkaException if any of them could not be written: the caller must then not commit the
     *                        source offsets, so that those records are consumed again rather than lost
     */
    public void flush() {
        producer.flush();
        List<Pending> sent = List.copyOf(pending);
        pending.clear();
        for (Pending p : sent) {
            try {
                p.future().get();
            } catch (ExecutionException e) {
                throw new KafkaException("could not write the dead letter for " + p.source() + " to " + topic.name()
                        + ": " + e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptException(e);
            }
        }
    }

    /**
     * Forgets the sends not yet confirmed, for a producer shared with a Kafka transaction: committing the
     * transaction confirms them all (or fails), aborting it discards them.
     */
    void discardPending() {
        pending.clear();
    }

    private static Map<String, String> headers(ConsumerRecord<byte[], byte[]> source) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Header h : source.headers()) {
            byte[] v = h.value();
            out.put(h.key(), v == null ? "" : printable(v));
        }
        return out;
    }

    /** UTF-8 text when the bytes are valid UTF-8, otherwise base64 prefixed with "base64:". */
    private static String printable(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return "base64:" + Base64.getEncoder().encodeToString(bytes);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}

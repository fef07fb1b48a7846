package dev.odpo.kafka;

import dev.odpo.events.DeadLetter;
import java.time.Duration;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exactly once: each batch is one Kafka transaction holding its output records, its dead letters and its
 * consumed offsets ({@code sendOffsetsToTransaction}), so readers with {@code isolation.level=read_committed}
 * see all of a batch or none of it, and a batch is never committed twice.
 *
 * <p>The transaction is opened only once the handler has returned, so a long batch (a GPU decode) does not
 * run against {@code transaction.timeout.ms}. A failed transaction is aborted and the loop consumes the batch
 * again. A producer that cannot abort — fenced because another instance started with the same
 * transactional id, or in a fatal state — stops the loop; the instance that took over goes on from the last
 * committed offsets.
 */
final class ExactlyOnceDelivery implements Delivery {

    private static final Logger log = LoggerFactory.getLogger(ExactlyOnceDelivery.class);

    private final String service;
    private final String transactionalId;
    private final Producer<byte[], byte[]> producer;
    private final DeadLetters deadLetters;

    /**
     * @param producer a transactional producer (transactional.id set); owned and closed by this delivery
     */
    ExactlyOnceDelivery(String service, String transactionalId, Producer<byte[], byte[]> producer,
                        Topic<String, DeadLetter> deadLetterTopic) {
        this.service = service;
        this.transactionalId = transactionalId;
        this.producer = producer;
        this.deadLetters = new DeadLetters(service, deadLetterTopic, producer);
    }

    @Override
    public void start() {
        // Fences any older producer with this id and aborts the transaction it left open.
        producer.initTransactions();
        log.info("{}: transactional id '{}' initialized; each batch is committed in one transaction", service, transactionalId);
    }

    @Override
    public boolean complete(BatchOutcome batch, Consumer<byte[], byte[]> consumer) {
        try {
            producer.beginTransaction();
            for (ProducerRecord<byte[], byte[]> output : batch.outputs()) {
                producer.send(output);
            }
            for (Rejection rejection : batch.deadLetters()) {
                rejection.sendTo(deadLetters);
            }
            producer.sendOffsetsToTransaction(batch.offsets(), consumer.groupMetadata());
            producer.commitTransaction();
            return true;
        } catch (KafkaException e) {
            if (isFenced(e)) {
                throw fenced(e);
            }
            abort(e);
            return false;
        } finally {
            // The transaction's end confirmed or discarded every dead letter sent in it.
            deadLetters.discardPending();
        }
    }

    private void abort(KafkaException failure) {
        log.warn("{}: batch transaction failed ({}); aborting it to consume the batch again", service, failure.toString());
        try {
            producer.abortTransaction();
        } catch (RuntimeException abortFailure) {
            abortFailure.addSuppressed(failure);
            if (isFenced(abortFailure)) {
                throw fenced(abortFailure);
            }
            log.error("{}: cannot abort the batch transaction; stopping: nothing past the last commit is committed", service);
            throw abortFailure;
        }
    }

    private RuntimeException fenced(RuntimeException e) {
        log.error("{}: another instance started with transactional id '{}' and fenced this one; stopping, it goes on "
                + "from the last committed offsets", service, transactionalId);
        return e;
    }

    private static boolean isFenced(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ProducerFencedException) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}

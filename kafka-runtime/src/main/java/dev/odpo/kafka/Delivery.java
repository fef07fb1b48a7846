package dev.odpo.kafka;

import org.apache.kafka.clients.consumer.Consumer;

/**
 * How a {@link ConsumerLoop} makes a batch durable: its output records, its dead letters and the offsets
 * of the records it consumed. {@link AtLeastOnceDelivery} commits offsets once everything else is
 * acknowledged; {@link ExactlyOnceDelivery} commits all of it in one Kafka transaction.
 */
interface Delivery extends AutoCloseable {

    /** Before the first poll, on the loop's thread. */
    void start();

    /**
     * Publishes the batch and commits its offsets.
     *
     * @return true once committed; false when the batch was rolled back as a whole and its records must be
     *         consumed again (nothing of it is visible)
     * @throws RuntimeException when the loop cannot go on; nothing past the last commit is committed
     */
    boolean complete(BatchOutcome batch, Consumer<byte[], byte[]> consumer);

    @Override
    void close();
}

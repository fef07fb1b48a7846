package dev.odpo.kafka;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.errors.WakeupException;

/**
 * At least once: dead letters first, then the offsets with {@code commitSync}, so a record is never
 * committed without its dead letter being durable. A crash before the commit re-delivers the batch. If a
 * dead letter cannot be written, the error stops the loop with nothing committed past it.
 */
final class AtLeastOnceDelivery implements Delivery {

    private final DeadLetters deadLetters;

    /** @param deadLetters the caller's dead-letter publisher; the caller closes it */
    AtLeastOnceDelivery(DeadLetters deadLetters) {
        this.deadLetters = deadLetters;
    }

    @Override
    public void start() {
    }

    @Override
    public boolean complete(BatchOutcome batch, Consumer<byte[], byte[]> consumer) {
        if (!batch.outputs().isEmpty()) {
            throw new IllegalStateException("an at-least-once loop has no producer for output records");
        }
        for (Rejection rejection : batch.deadLetters()) {
            rejection.sendTo(deadLetters);
        }
        deadLetters.flush();
        try {
            consumer.commitSync(batch.offsets());
        } catch (WakeupException e) {
            // stop() woke the consumer during the commit: finish it (the wakeup is spent), the loop then stops.
            consumer.commitSync(batch.offsets());
        }
        return true;
    }

    @Override
    public void close() {
    }
}

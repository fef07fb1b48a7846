package dev.odpo.kafka;

import java.time.Duration;

/**
 * A service whose work is one {@link ConsumerLoop}: running, stopping and waiting are the loop's. The
 * service class keeps what is its own — what makes a record invalid and what to do with a valid one.
 */
public interface LoopService extends Service {

    /** The loop that consumes this service's input topic. */
    ConsumerLoop<?, ?> loop();

    @Override
    default void run() {
        loop().run();
    }

    @Override
    default void stop() {
        loop().stop();
    }

    @Override
    default boolean awaitStopped(Duration timeout) throws InterruptedException {
        return loop().awaitStopped(timeout);
    }
}

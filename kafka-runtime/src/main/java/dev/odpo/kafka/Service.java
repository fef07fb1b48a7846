package dev.odpo.kafka;

import java.time.Duration;
import org.slf4j.LoggerFactory;

/**
 * A long-running service loop: {@link #run()} blocks until {@link #stop()} is called from another thread
 * (typically the shutdown hook on SIGTERM or Ctrl-C), then finishes its work in hand and returns.
 */
public interface Service extends Runnable {

    /** Asks the service to stop; returns at once. Safe from any thread. */
    void stop();

    /** Waits until {@link #run()} has returned. */
    boolean awaitStopped(Duration timeout) throws InterruptedException;

    /**
     * Registers a JVM shutdown hook (SIGTERM, Ctrl-C) that stops this service and waits up to 30 s for it
     * to commit and close.
     */
    default Thread installShutdownHook(String name) {
        Thread hook = new Thread(() -> {
            LoggerFactory.getLogger(Service.class).info("{}: shutdown requested, stopping", name);
            stop();
            try {
                if (!awaitStopped(Duration.ofSeconds(30))) {
                    LoggerFactory.getLogger(Service.class).warn("{}: did not stop within 30 s", name);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, name + "-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }
}

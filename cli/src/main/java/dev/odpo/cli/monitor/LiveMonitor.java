package dev.odpo.cli.monitor;

import dev.odpo.kafka.config.KafkaSettings;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A {@link LoopObserver} on its own thread, observing every refresh period, with the newest state kept for the
 * terminal view and, optionally, served by a {@link WebMonitor}. Used by {@code odpo monitor} and by
 * {@code odpo demo --web}.
 */
public final class LiveMonitor implements AutoCloseable {

    private final AtomicReference<LoopState> latest = new AtomicReference<>();
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread thread;
    private final WebMonitor web;
    private volatile RuntimeException failure;

    /**
     * Starts observing.
     *
     * @param kafka    where the loop runs
     * @param policy   the policy to show, or null for all
     * @param refresh  how often to observe
     * @param bind     address of the web page, or null for no web page
     * @param port     port of the web page (0: any free one)
     * @param onUpdate called on the observing thread with each new state
     */
    public LiveMonitor(KafkaSettings kafka, String policy, Duration refresh, String bind, int port,
                       Consumer<LoopState> onUpdate) {
        LoopObserver observer = new LoopObserver(kafka, policy);
        try {
            web = bind == null ? null : new WebMonitor(bind, port, latest::get);
        } catch (RuntimeException e) {
            observer.close();
            throw e;
        }
        thread = new Thread(() -> {
            try (observer) {
                do {
                    LoopState s = observer.observe();
                    latest.set(s);
                    onUpdate.accept(s);
                } while (!stop.await(refresh.toMillis(), TimeUnit.MILLISECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                failure = e;
            }
        }, "odpo-monitor");
        thread.setDaemon(true);
        thread.start();
    }

    /** The newest state, or null before the first observation. */
    public LoopState latest() {
        return latest.get();
    }

    /** The web page's address, or null when there is none. */
    public String url() {
        return web == null ? null : web.url();
    }

    /** Why observing stopped, or null while it runs. */
    public RuntimeException failure() {
        return failure;
    }

    /** Whether the observing thread has stopped (after {@link #close()} or a failure). */
    public boolean stopped() {
        return !thread.isAlive();
    }

    @Override
    public void close() {
        stop.countDown();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (web != null) {
            web.close();
        }
    }
}

package dev.odpo.pairs;

import dev.odpo.kafka.Service;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the pair-builder topology with exactly-once processing until stopped, logging its counters
 * every metrics interval.
 */
public final class PairBuilderService implements Service {
    private static final Logger log = LoggerFactory.getLogger(PairBuilderService.class);

    private final PairBuilderSettings settings;
    private final PairBuilderMetrics metrics = new PairBuilderMetrics();
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean failed;

    public PairBuilderService(PairBuilderSettings settings) {
        this.settings = settings;
    }

    public PairBuilderMetrics metrics() {
        return metrics;
    }

    /** The Streams configuration: exactly_once_v2 always, no record cache (every update reaches the processors). */
    Properties streamsProperties() {
        Properties p = settings.kafka().streams(settings.applicationId());
        String guarantee = p.getProperty(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
        if (guarantee != null && !guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2)) {
            log.warn("ignoring processing.guarantee={}: the pair-builder always runs exactly_once_v2", guarantee);
        }
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, settings.threads());
        p.putIfAbsent(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) settings.kafka().replicationFactor());
        if (settings.stateDir() != null) {
            p.put(StreamsConfig.STATE_DIR_CONFIG, settings.stateDir().toString());
        }
        return p;
    }

    @Override
    public void run() {
        var topics = settings.kafka().topics();
        KafkaStreams streams = new KafkaStreams(PairBuilderTopology.build(settings.pairing(), topics, metrics), streamsProperties());
        streams.setUncaughtExceptionHandler(e -> {
            log.error("pair-builder stream thread failed; replacing it (its work resumes from the last commit)", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> {
            log.info("pair-builder streams state {} -> {}", before, now);
            if (now == KafkaStreams.State.ERROR) {
                failed = true;
                stop();
            }
        });
        try {
            log.info("pair-builder reading {}, {}, {} and writing {} ({}; application id {})", topics.samples(), topics.scores(),
                    topics.feedback(), topics.pairs(), settings.pairing(), settings.applicationId());
            streams.start();
            PairBuilderMetrics.Snapshot last = metrics.snapshot();
            long intervalMs = settings.metricsLogInterval().toMillis();
            while (!stopRequested.await(intervalMs, TimeUnit.MILLISECONDS)) {
                PairBuilderMetrics.Snapshot now = metrics.snapshot();
                log.info("pair-builder: {}", now.describe(last));
                last = now;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            streams.close(Duration.ofSeconds(30));
            log.info("pair-builder stopped: {}", metrics.snapshot().describe(metrics.snapshot()));
            stopped.countDown();
        }
        if (failed) {
            // exit non-zero so that a supervisor restarts the service; the work resumes from the last commit
            throw new IllegalStateException("pair-builder stopped because Kafka Streams failed (state ERROR); see the log above");
        }
    }

    @Override
    public void stop() {
        stopRequested.countDown();
    }

    @Override
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}

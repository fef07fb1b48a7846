package dev.odpo.generator;

import dev.odpo.kafka.config.KafkaSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs the generator's progress every interval, from its own thread so that it never slows a decode:
 * prompts/s, samples/s and generated tokens/s over the interval, the share of it spent decoding (a batch's
 * decode counts in the interval it ends in, so the share is capped at 100 %) and waiting for prompts (its
 * consumer's time in poll: the generator's idle share), the version served, the last
 * adoption, and the consumer group's lag on the prompts topic (end offsets minus committed offsets, asked
 * of the broker). An idle generator with no lag logs nothing.
 */
final class ProgressLog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProgressLog.class);

    private final GeneratorStats stats;
    private final LongSupplier waitingNanos;
    private final KafkaSettings kafka;
    private final String groupId;
    private final String topic;
    private final Duration interval;
    private final ScheduledExecutorService timer;
    private Admin admin;
    private GeneratorStats.Snapshot last;
    private long lastAt;
    private long lastWaiting;
    private int lastAdoptions;

    ProgressLog(GeneratorStats stats, LongSupplier waitingNanos, KafkaSettings kafka, String groupId, String topic,
                Duration interval) {
        this.stats = stats;
        this.waitingNanos = waitingNanos;
        this.kafka = kafka;
        this.groupId = groupId;
        this.topic = topic;
        this.interval = interval;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "generator-progress");
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        last = stats.snapshot();
        lastAt = System.nanoTime();
        lastWaiting = waitingNanos.getAsLong();
        timer.scheduleAtFixedRate(this::report, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void report() {
        try {
            GeneratorStats.Snapshot now = stats.snapshot();
            long at = System.nanoTime();
            long waiting = waitingNanos.getAsLong();
            double seconds = (at - lastAt) / 1e9;
            Long lag = lag();
            long prompts = now.prompts() - last.prompts();
            List<GeneratorStats.Adoption> adoptions = stats.adoptions();
            if (prompts > 0 || (lag != null && lag > 0)) {
                log.info("generator: {} prompts/s, {} samples/s, {} tokens/s over the last {} s (decoding {}% of it, "
                                + "waiting for prompts {}%); serving v{}; lag {} prompts{}",
                        rate(prompts, seconds), rate(now.samples() - last.samples(), seconds),
                        rate(now.tokens() - last.tokens(), seconds), Math.round(seconds),
                        Math.min(100, Math.round(100.0 * (now.decodeNanos() - last.decodeNanos()) / (at - lastAt))),
                        Math.min(100, Math.round(100.0 * (waiting - lastWaiting) / (at - lastAt))), now.version(),
                        lag == null ? "unknown" : lag, adoptionNote(adoptions));
            }
            lastAdoptions = adoptions.size();
            last = now;
            lastAt = at;
            lastWaiting = waiting;
        } catch (RuntimeException e) {
            log.warn("generator: progress report failed: {}", e.toString());
        }
    }

    private String adoptionNote(List<GeneratorStats.Adoption> adoptions) {
        if (adoptions.size() == lastAdoptions || adoptions.isEmpty()) {
            return "";
        }
        GeneratorStats.Adoption a = adoptions.get(adoptions.size() - 1);
        return "; adopted v" + a.version() + " (first samples " + a.firstSample().toMillis() + " ms after it was written)";
    }

    private static String rate(long count, double seconds) {
        return String.format(java.util.Locale.ROOT, "%.1f", seconds > 0 ? count / seconds : 0);
    }

    /** The group's lag on the prompts topic, or null when the broker does not answer in time. */
    private Long lag() {
        try {
            if (admin == null) {
                admin = Admin.create(kafka.admin("generator-progress"));
            }
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                    .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
            List<TopicPartition> partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(5, TimeUnit.SECONDS)
                    .get(topic).partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
                    admin.listOffsets(latest).all().get(5, TimeUnit.SECONDS);
            long lag = 0;
            for (TopicPartition p : partitions) {
                OffsetAndMetadata c = committed.get(p);
                lag += Math.max(0, ends.get(p).offset() - (c == null ? 0 : c.offset()));
            }
            return lag;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            log.debug("generator: lag unknown: {}", e.toString());
            return null;
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(2));
        }
    }
}

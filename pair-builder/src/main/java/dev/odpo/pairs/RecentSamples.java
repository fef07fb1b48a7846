package dev.odpo.pairs;

import dev.odpo.events.Sample;
import dev.odpo.kafka.ReadToEnd;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the samples written in a recent time window from the samples topic, without a consumer group
 * (nothing is committed; reading is free for any number of annotators). Undecodable records are counted
 * and skipped: they are the producer's dead letters to report, not ours.
 */
public final class RecentSamples {
    private static final Logger log = LoggerFactory.getLogger(RecentSamples.class);

    /** What was read: the samples (oldest first) and how many records could not be decoded. */
    public record Result(List<Sample> samples, int undecodable) {}

    private RecentSamples() {}

    /** Samples with a record timestamp in the last {@code window}, at most {@code max} (the newest ones). */
    public static Result read(KafkaSettings kafka, Topic<String, Sample> topic, Duration window, int max, Clock clock,
                              Duration timeout) {
        Properties p = kafka.rawConsumer("odpo-feedback-reader", "odpo-feedback");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<Sample> samples = new ArrayList<>();
        int[] undecodable = {0};
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            ReadToEnd.read(consumer, topic.name(), ReadToEnd.Start.since(clock.millis() - window.toMillis()), timeout,
                    r -> {
                        try {
                            samples.add(topic.value(r));
                        } catch (SerializationException | NullPointerException e) {
                            undecodable[0]++;
                            log.debug("skipping undecodable sample at {}-{}@{}: {}", r.topic(), r.partition(),
                                    r.offset(), e.getMessage());
                        }
                    });
        }
        samples.sort(java.util.Comparator.comparing(Sample::getCreatedAt));
        List<Sample> newest = samples.size() <= max ? samples : samples.subList(samples.size() - max, samples.size());
        return new Result(List.copyOf(newest), undecodable[0]);
    }
}

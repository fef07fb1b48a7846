package dev.odpo.learner;

import dev.odpo.events.PreferencePair;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.model.EncodedPair;
import dev.odpo.policy.PromptEncoding;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads the retained pairs topic — the replay buffer D_1..t — from its beginning up to where the learner
 * has consumed, for an iterative learner that trains each iteration on all of it. Joins no consumer group and
 * commits nothing. Pairs that cannot be trained on were dead-lettered when first consumed and are passed over
 * quietly here; a pair id is taken once; only the newest {@code maxPairs} are kept.
 */
final class ReplayReader {

    private static final Logger log = LoggerFactory.getLogger(ReplayReader.class);

    private ReplayReader() {
    }

    static List<EncodedPair> read(KafkaSettings kafka, Topic<String, PreferencePair> topic,
                                  Map<TopicPartition, Long> upTo, PromptEncoding encoding, int maxChars, int maxTokens,
                                  int maxPairs) {
        ArrayDeque<EncodedPair> newest = new ArrayDeque<>();
        Set<String> seen = new HashSet<>();
        long records = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                kafka.readCommittedConsumer("odpo-learner-replay", "learner-replay", 500))) {
            List<TopicPartition> partitions = new ArrayList<>(upTo.keySet());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (!caughtUp(consumer, upTo)) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() >= upTo.get(tp) || r.value() == null) {
                        continue;
                    }
                    records++;
                    try {
                        String key = r.key() == null ? null : topic.keySerde().deserializer().deserialize(r.topic(), r.key());
                        PreferencePair p = topic.value(r);
                        if (!PairIntake.problems(key, p, maxChars).isEmpty() || !seen.add(p.getPairId())) {
                            continue;
                        }
                        newest.addLast(PairIntake.encode(p, encoding, maxTokens));
                        if (newest.size() > maxPairs) {
                            newest.removeFirst();
                        }
                    } catch (RuntimeException unusable) {
                        // dead-lettered when the learner first consumed it
                    }
                }
            }
        }
        log.info("replay: {} pairs from {} records of {}", newest.size(), records, topic.name());
        return new ArrayList<>(newest);
    }

    private static boolean caughtUp(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> upTo) {
        for (Map.Entry<TopicPartition, Long> e : upTo.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}

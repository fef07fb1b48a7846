package dev.odpo.evaluator;

import dev.odpo.events.EvalReport;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The reports already on the evaluations topic: a restarted evaluator's report starts from them. */
public final class EvaluationHistory {

    private static final Logger log = LoggerFactory.getLogger(EvaluationHistory.class);

    private EvaluationHistory() {
    }

    /**
     * Every committed report on the topic now, in log order; records that do not decode are logged and
     * skipped. Joins no consumer group.
     *
     * @throws IllegalStateException when the topic does not exist or cannot be read within {@code timeout}
     */
    public static List<EvalReport> readAll(KafkaSettings kafka, Duration timeout) {
        Topic<String, EvalReport> topic = kafka.topics().evaluations();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.rawConsumer("unused", "odpo-evaluations-reader"))) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic.name(), timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic.name() + " does not exist");
            }
            List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(topic.name(), i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            List<EvalReport> out = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out reading " + topic.name());
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        continue;
                    }
                    try {
                        out.add(topic.value(r));
                    } catch (RuntimeException e) {
                        log.warn("skipping undecodable report at {}[{}]@{}: {}", r.topic(), r.partition(), r.offset(),
                                e.getMessage());
                    }
                }
            }
            return out;
        }
    }
}

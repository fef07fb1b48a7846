package dev.odpo.evaluator;

import dev.odpo.events.EvalReport;
import dev.odpo.kafka.ReadToEnd;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.KafkaConsumer;
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
        List<EvalReport> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.rawConsumer("unused", "odpo-evaluations-reader"))) {
            boolean complete = ReadToEnd.read(consumer, topic.name(), ReadToEnd.Start.BEGINNING, timeout, r -> {
                if (r.value() == null) {
                    return;
                }
                try {
                    out.add(topic.value(r));
                } catch (RuntimeException e) {
                    log.warn("skipping undecodable report at {}[{}]@{}: {}", r.topic(), r.partition(), r.offset(),
                            e.getMessage());
                }
            });
            if (!complete) {
                throw new IllegalStateException("timed out reading " + topic.name());
            }
        }
        return out;
    }
}

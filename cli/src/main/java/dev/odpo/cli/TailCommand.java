package dev.odpo.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Prints a topic's events as JSON lines: the simplest monitor. */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = {"Prints the events of a topic as JSON lines, decoded through the schema registry. Reads every "
                + "partition without joining a consumer group (nothing is committed) and follows new events until "
                + "Ctrl-C, --max or --idle.",
                "TOPIC is a short name (prompts, samples, scores, feedback, pairs, checkpoints, evaluations, "
                        + "learner-metrics, dead-letters) or a full topic name."})
public final class TailCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "The topic to print.")
    String topicName;

    @Option(names = "--from-end", description = "Only events published from now on (default: from the beginning).")
    boolean fromEnd;

    @Option(names = {"-n", "--max"}, paramLabel = "N", description = "Stop after N events.")
    Long max;

    @Option(names = "--idle", paramLabel = "SECONDS", description = "Stop after this many seconds without a new event.")
    Double idleSeconds;

    @Option(names = "--with-metadata", description = "Wrap each event as {topic, partition, offset, timestamp, key, value}.")
    boolean withMetadata;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        KafkaSettings settings = kafka.settings();
        Topics topics = settings.topics();
        Topic<?, ?> topic = topics.find(topicName).orElse(null);
        if (topic == null) {
            err.println("odpo tail: unknown topic '" + topicName + "'; odpo's topics are "
                    + String.join(", ", topics.shortNames()) + " (prefix " + topics.prefix() + ")");
            return 2;
        }
        Properties props = settings.common("odpo-tail-" + UUID.randomUUID().toString().substring(0, 8));
        props.put("enable.auto.commit", "false");
        // Looking at a topic must never create it (a broker default could, with the wrong partitions).
        props.put("allow.auto.create.topics", "false");
        long printed = 0;
        CountDownLatch done = new CountDownLatch(1);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            Thread hook = new Thread(() -> {
                consumer.wakeup();
                try {
                    done.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "odpo-tail-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                List<PartitionInfo> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(30));
                if (partitions == null || partitions.isEmpty()) {
                    err.println("odpo tail: topic " + topic.name() + " does not exist yet (odpo topics create makes it)");
                    return 2;
                }
                List<TopicPartition> assigned = partitions.stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                consumer.assign(assigned);
                if (fromEnd) {
                    consumer.seekToEnd(assigned);
                } else {
                    consumer.seekToBeginning(assigned);
                }
                long lastEvent = System.nanoTime();
                while (max == null || printed < max) {
                    var batch = consumer.poll(Duration.ofMillis(200));
                    for (ConsumerRecord<byte[], byte[]> r : batch) {
                        out.println(line(topic, r));
                        printed++;
                        if (max != null && printed >= max) {
                            break;
                        }
                    }
                    out.flush();
                    if (!batch.isEmpty()) {
                        lastEvent = System.nanoTime();
                    } else if (idleSeconds != null && System.nanoTime() - lastEvent > (long) (idleSeconds * 1e9)) {
                        break;
                    }
                }
            } catch (WakeupException e) {
                // Ctrl-C: stop quietly.
            } finally {
                out.flush();
                done.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // already shutting down
                }
            }
        }
        return 0;
    }

    /** One JSON line; an event that cannot be decoded is shown with the reason instead of stopping the tail. */
    private String line(Topic<?, ?> topic, ConsumerRecord<byte[], byte[]> r) {
        ObjectNode value;
        try {
            Object decoded = r.value() == null ? null
                    : topic.valueSerde().deserializer().deserialize(r.topic(), r.headers(), r.value());
            value = decoded == null ? null : EventJson.toJson((IndexedRecord) decoded);
        } catch (RuntimeException e) {
            value = EventJson.MAPPER.createObjectNode().put("undecodable", e.getMessage());
        }
        if (!withMetadata && value != null) {
            return value.toString();
        }
        ObjectNode env = EventJson.MAPPER.createObjectNode()
                .put("topic", r.topic()).put("partition", r.partition()).put("offset", r.offset())
                .put("timestamp", java.time.Instant.ofEpochMilli(r.timestamp()).toString())
                .put("key", r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8));
        env.set("value", value);
        return env.toString();
    }
}

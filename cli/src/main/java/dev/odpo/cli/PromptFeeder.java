package dev.odpo.cli;

import dev.odpo.events.Prompt;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.task.Split;
import dev.odpo.task.TaskPrompt;
import dev.odpo.task.TaskSuite;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays production traffic for the demo: the built-in task's RL-split prompts, published to {@code prompts}
 * only as fast as the generators consume them (their consumer group's lag stays under a bound), so a slow
 * machine grows no backlog and every prompt is sampled by a recent policy. Each partition is topped up to
 * its share of the bound, each prompt going to the partition with the fewest waiting: with two generators
 * on three partitions, the one holding a single partition is kept as busy as the one holding two (filling
 * by key, the total bound would sit mostly in the larger share and starve the other).
 */
final class PromptFeeder implements Runnable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PromptFeeder.class);

    private final KafkaSettings kafka;
    private final Topic<String, Prompt> topic;
    private final String generatorGroup;
    private final int maxLag;
    private final Supplier<TaskPrompt> stream;
    private final long startIndex;
    private volatile boolean running = true;
    private volatile long published;

    /**
     * @param startIndex how many prompts earlier runs published (their ids are not reused on a resume)
     */
    PromptFeeder(KafkaSettings kafka, String generatorGroup, int maxLag, long streamSeed, long startIndex) {
        this.kafka = kafka;
        this.topic = kafka.topics().prompts();
        this.generatorGroup = generatorGroup;
        this.maxLag = maxLag;
        this.stream = new TaskSuite(TaskSuite.DEFAULT_SEED).stream(Split.RL, streamSeed);
        for (long i = 0; i < startIndex; i++) {
            stream.get();   // a resumed run continues the same stream where the last one stopped
        }
        this.startIndex = startIndex;
    }

    /** Prompts published by this feeder so far. */
    long published() {
        return published;
    }

    @Override
    public void run() {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.rawProducer("odpo-demo-prompts"));
             Admin admin = Admin.create(kafka.admin("odpo-demo-lag"))) {
            long index = startIndex;
            int partitions = topic.partitions();
            long share = (maxLag + partitions - 1) / partitions;
            while (running) {
                long[] lag = lag(admin);
                int added = 0;
                for (int least = leastWaiting(lag); lag[least] < share && running; least = leastWaiting(lag)) {
                    TaskPrompt p = stream.get();
                    Prompt prompt = Prompt.newBuilder()
                            .setPromptId(p.id() + "-" + index)
                            .setText(p.text())
                            .setTask(p.kind().family())
                            .setReferenceAnswer(p.answer())
                            .setSource("odpo-demo")
                            .setCreatedAt(Instant.now())
                            .build();
                    producer.send(topic.record(least, prompt.getPromptId(), prompt));
                    lag[least]++;
                    index++;
                    published++;
                    added++;
                }
                producer.flush();
                if (added == 0) {
                    Thread.sleep(250);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (running) {
                log.error("the demo's prompt stream stopped", e);
            }
        }
    }

    private static int leastWaiting(long[] lag) {
        int least = 0;
        for (int p = 1; p < lag.length; p++) {
            if (lag[p] < lag[least]) {
                least = p;
            }
        }
        return least;
    }

    /** Prompts published but not yet committed by the generators' group, per partition. */
    private long[] lag(Admin admin) throws InterruptedException {
        try {
            List<TopicPartition> partitions = new java.util.ArrayList<>();
            for (int p = 0; p < topic.partitions(); p++) {
                partitions.add(new TopicPartition(topic.name(), p));
            }
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
            var ends = admin.listOffsets(latest).all().get();
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(generatorGroup).partitionsToOffsetAndMetadata().get();
            long[] lag = new long[partitions.size()];
            for (TopicPartition tp : partitions) {
                OffsetAndMetadata c = committed.get(tp);
                lag[tp.partition()] = ends.get(tp).offset() - (c == null ? 0 : c.offset());
            }
            return lag;
        } catch (java.util.concurrent.ExecutionException e) {
            log.debug("could not read the generators' lag: {}", e.getCause().toString());
            Thread.sleep(Duration.ofSeconds(1).toMillis());
            long[] full = new long[topic.partitions()];
            java.util.Arrays.fill(full, Long.MAX_VALUE);
            return full;
        }
    }

    @Override
    public void close() {
        running = false;
    }
}

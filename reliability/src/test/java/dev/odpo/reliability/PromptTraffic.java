package dev.odpo.reliability;

import dev.odpo.events.Prompt;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.KafkaSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Production traffic: a client that sends a new prompt ({@code crash-0}, {@code crash-1}, …) at a fixed rate,
 * idempotent and retrying for as long as a broker restart takes, and remembers which prompts the broker
 * acknowledged.
 */
final class PromptTraffic implements AutoCloseable {

    private final Topic<String, Prompt> topic;
    private final KafkaProducer<byte[], byte[]> client;
    private final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
    private final AtomicInteger sent = new AtomicInteger();
    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();

    PromptTraffic(KafkaSettings kafka) {
        this.topic = kafka.topics().prompts();
        Properties p = kafka.rawProducer("prompts");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "600000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "600000");
        this.client = new KafkaProducer<>(p);
    }

    void start(Duration every) {
        clock.scheduleAtFixedRate(this::sendOne, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void sendOne() {
        int i = sent.getAndIncrement();
        Prompt p = Prompt.newBuilder().setPromptId("crash-" + i).setCreatedAt(Instant.now())
                .setText("Reverse the list: " + (i % 7) + " " + (i % 3) + " " + (i % 5)).build();
        try {
            client.send(new ProducerRecord<>(topic.name(), topic.keySerde().serializer().serialize(topic.name(), p.getPromptId()),
                    topic.valueSerde().serializer().serialize(topic.name(), p)), (meta, error) -> {
                if (error == null) {
                    acknowledged.add(p.getPromptId());
                }
            });
        } catch (RuntimeException e) {
            // not acknowledged, so not expected on the topic; the traffic goes on
            System.out.println("[crash] prompt " + p.getPromptId() + " not sent: " + e);
        }
    }

    /** Stops sending and waits until every prompt sent is acknowledged or has failed. */
    void stop() throws InterruptedException {
        clock.shutdown();
        clock.awaitTermination(10, TimeUnit.SECONDS);
        client.flush();
    }

    int sent() {
        return sent.get();
    }

    Set<String> acknowledged() {
        return Set.copyOf(acknowledged);
    }

    @Override
    public void close() {
        clock.shutdownNow();
        client.close(Duration.ofSeconds(30));
    }
}

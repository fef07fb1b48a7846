package dev.odpo.pairs;

import static dev.odpo.pairs.Events.promptOf;
import static dev.odpo.pairs.Events.sample;
import static dev.odpo.pairs.Events.score;

import dev.odpo.broker.EmbeddedKafka;
import dev.odpo.events.PreferencePair;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.registry.server.SchemaRegistryServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Throughput of the pair-builder service, not run by the test suite: an embedded broker and schema
 * registry in this JVM, a backlog of GROUPS scored groups of GROUP_SIZE written first, then the service
 * (exactly_once_v2, one stream thread, 3 partitions) started, and the time until every pair is
 * committed (read with read_committed).
 *
 * <pre>
 *   java -cp pair-builder/target/test-classes:pair-builder/target/classes:$(test classpath) \
 *        dev.odpo.pairs.PairBuilderBenchmark GROUPS GROUP_SIZE
 * </pre>
 *
 * (TopologyTestDriver is no benchmark: with exactly-once it commits and flushes RocksDB after every record.)
 */
public final class PairBuilderBenchmark {

    public static void main(String[] args) throws Exception {
        int groups = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int groupSize = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        broker(groups, groupSize);
    }

    private static void broker(int groups, int groupSize) throws Exception {
        Path dir = Files.createTempDirectory("odpo-bench-");
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(0).controllerPort(0).dataDir(dir.resolve("kafka")).build()) {
            kafka.start();
            try (SchemaRegistryServer registry = SchemaRegistryServer.start(new SchemaRegistryServer.Config(
                    "127.0.0.1", 0, kafka.bootstrapServers(), "_schemas", "BACKWARD"))) {
                KafkaSettings settings = KafkaSettings.local(kafka.bootstrapServers(), registry.url()).withPartitions(3);
                Topics topics = settings.topics();
                try (TopicAdmin admin = TopicAdmin.create(settings)) {
                    admin.createMissing(topics.all());
                }
                long t0 = System.nanoTime();
                try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings.rawProducer("bench"))) {
                    StringSerializer keys = new StringSerializer();
                    for (int g = 0; g < groups; g++) {
                        String group = "g" + g;
                        for (int i = 0; i < groupSize; i++) {
                            producer.send(new ProducerRecord<>(topics.samples().name(), keys.serialize(null, promptOf(group)),
                                    topics.samples().valueSerde().serializer().serialize(topics.samples().name(),
                                            sample(group, i, groupSize, group + " response number " + i + " with some words"))));
                            producer.send(new ProducerRecord<>(topics.scores().name(), keys.serialize(null, promptOf(group)),
                                    topics.scores().valueSerde().serializer().serialize(topics.scores().name(),
                                            score(group, i, groupSize, (i * 7 + g) % groupSize))));
                        }
                    }
                }
                System.out.printf("broker: wrote %d groups of %d (%d records) in %.2f s%n", groups, groupSize,
                        groups * groupSize * 2, (System.nanoTime() - t0) / 1e9);

                PairBuilderService service = new PairBuilderService(new PairBuilderSettings(settings, PairBuilderConfig.defaults(),
                        "bench", dir.resolve("state"), 1, Duration.ofSeconds(5)));
                Thread running = new Thread(service, "pair-builder");
                long start = System.nanoTime();
                running.start();
                long first = 0;
                int seen = 0;
                Properties p = settings.common("bench-reader");
                p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-reader");
                p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
                p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
                try (KafkaConsumer<String, PreferencePair> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                        topics.pairs().valueSerde().deserializer())) {
                    consumer.subscribe(List.of(topics.pairs().name()));
                    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
                    while (seen < groups && System.nanoTime() < deadline) {
                        int n = consumer.poll(Duration.ofMillis(100)).count();
                        if (n > 0 && first == 0) {
                            first = System.nanoTime();
                        }
                        seen += n;
                    }
                }
                long end = System.nanoTime();
                service.stop();
                service.awaitStopped(Duration.ofSeconds(30));
                System.out.printf("broker (exactly_once_v2, 1 stream thread, 3 partitions): %d pairs committed; "
                                + "first after %.2f s; then %.2f s for the rest: %.0f pairs/s, %.0f input records/s%n",
                        seen, (first - start) / 1e9, (end - first) / 1e9, seen / ((end - first) / 1e9),
                        groups * groupSize * 2 / ((end - first) / 1e9));
            }
        }
    }
}

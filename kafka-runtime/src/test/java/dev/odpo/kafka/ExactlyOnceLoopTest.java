package dev.odpo.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.DeadLetter;
import dev.odpo.events.Prompt;
import dev.odpo.kafka.config.KafkaSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The exactly-once batch loop against a real broker: a service "answers" prompts (the answer is the prompt
 * upper-cased, written to an answers topic) and every test reads the answers as a read_committed consumer.
 */
class ExactlyOnceLoopTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    private static final String SERVICE = "answerer";
    private static final RecordCheck<String, Prompt> CHECK = (key, p) -> new RecordCheck.Problems()
            .id("prompt_id", p.getPromptId()).text("text", p.getText(), 1000).list();

    private KafkaSettings kafka;
    private Topics topics;
    private Topic<String, Prompt> prompts;
    private Topic<String, Prompt> answers;
    private String group;
    private String transactionalId;

    @BeforeEach
    void createTopics() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        kafka = KafkaSettings.local(KAFKA.bootstrapServers(), "mock://eos-" + run).withTopicPrefix("eos-" + run + ".")
                .withPartitions(1);
        topics = kafka.topics();
        prompts = topics.prompts();
        answers = new Topic<>(topics.prefix() + "answers", Serdes.String(), prompts.valueSerde(), 1, "delete", Duration.ofDays(1));
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            admin.createMissing(List.of(prompts, answers, topics.deadLetters()));
        }
        group = SERVICE + "-" + run;
        transactionalId = SERVICE + "-" + run + "-0";
    }

    @Test
    void badRecordsAreDeadLetteredAndTheOthersAnswersAppearExactlyOnce() throws Exception {
        // Given: good, corrupt, empty, good, unanswerable, good prompts in one partition.
        produce("p1", "What is 2+2?");
        produce("bad", DeadLetterScenario.CORRUPT);
        produce("p-empty", " ");
        produce("p2", "Name a prime.");
        produce("p-reject", "reject: unanswerable");
        produce("p3", "Say hello.");

        // When: the loop answers them in batches, a hook running before each batch.
        List<List<String>> calls = new CopyOnWriteArrayList<>();
        AtomicInteger hookRuns = new AtomicInteger();
        List<Integer> hookRunsSeenByHandler = new CopyOnWriteArrayList<>();
        ConsumerLoop<String, Prompt> loop = ConsumerLoop.exactlyOnce(SERVICE, kafka, prompts, group, transactionalId, 10,
                CHECK, (records, out) -> {
                    calls.add(keys(records));
                    hookRunsSeenByHandler.add(hookRuns.get());
                    for (ConsumerRecord<String, Prompt> r : records) {
                        if (r.value().getText().startsWith("reject")) {
                            out.reject(r, "cannot be answered");
                        } else {
                            out.send(answers, r.key(), answer(r.value()));
                        }
                    }
                }).beforeEachBatch(hookRuns::incrementAndGet);
        Running running = Running.start(loop);
        await().atMost(Duration.ofSeconds(30)).until(() -> loop.consumed() == 6);
        running.stop();

        // Then: the valid prompts came in one handler call, after the hook.
        assertThat(calls).containsExactly(List.of("p1", "p2", "p-reject", "p3"));
        assertThat(hookRunsSeenByHandler).containsExactly(1);
        // Then: each answer is visible exactly once, in order.
        assertThat(readCommitted(answers)).containsExactly("p1:WHAT IS 2+2?", "p2:NAME A PRIME.", "p3:SAY HELLO.");
        // Then: the three bad records are dead-lettered once each, with their reasons.
        List<DeadLetter> letters = new ArrayList<>(readValues(topics.deadLetters(), "read_committed"));
        letters.sort(Comparator.comparingLong(DeadLetter::getSourceOffset));
        assertThat(letters).extracting(DeadLetter::getSourceOffset).containsExactly(1L, 2L, 4L);
        assertThat(letters.get(0).getErrorClass()).isEqualTo("NotFramed");
        assertThat(letters.get(1).getErrorClass()).isEqualTo(DeadLetters.INVALID_RECORD);
        assertThat(letters.get(1).getReason()).contains("text is empty");
        assertThat(letters.get(2).getErrorClass()).isEqualTo(DeadLetters.INVALID_RECORD);
        assertThat(letters.get(2).getReason()).isEqualTo("cannot be answered");
        // Then: the offsets are committed and the counters say what happened.
        assertThat(committedOffset()).isEqualTo(6);
        assertThat(List.of(loop.consumed(), loop.handled(), loop.deadLettered(), loop.batches())).containsExactly(6L, 3L, 3L, 1L);
    }

    @Test
    void timeInPollIsCountedAsWaitingAndTimeInTheHandlerIsNot() throws Exception {
        // Given: one prompt whose handling takes 1.5 s.
        produce("slow", "take your time");

        // When: the loop handles it, then waits with nothing to read.
        ConsumerLoop<String, Prompt> loop = ConsumerLoop.exactlyOnce(SERVICE, kafka, prompts, group, transactionalId, 10,
                CHECK, (records, out) -> {
                    sleep(1_500);
                    records.forEach(r -> out.send(answers, r.key(), answer(r.value())));
                });
        assertThat(loop.runningNanos()).isZero();
        Running running = Running.start(loop);
        await().atMost(Duration.ofSeconds(30)).until(() -> loop.consumed() == 1);
        long idleBefore = loop.pollNanos();
        Thread.sleep(1_500);
        long polled = loop.pollNanos();
        long ran = loop.runningNanos();
        running.stop();

        // Then: the idle time counts as waiting, the handler's 1.5 s does not.
        assertThat(polled - idleBefore).isGreaterThan(500_000_000L);
        assertThat(polled).isLessThanOrEqualTo(ran - 1_500_000_000L);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aBatchThatFailsBecauseOfOneRecordDeadLettersOnlyThatRecord() throws Exception {
        // Given: a prompt the handler cannot take between two it can.
        produce("a", "first");
        produce("poison", "poison");
        produce("b", "second");

        // When: the handler answers record by record and throws on the poison, its earlier answers sent.
        List<List<String>> calls = new CopyOnWriteArrayList<>();
        ConsumerLoop<String, Prompt> loop = ConsumerLoop.exactlyOnce(SERVICE, kafka, prompts, group, transactionalId, 10,
                CHECK, (records, out) -> {
                    calls.add(keys(records));
                    for (ConsumerRecord<String, Prompt> r : records) {
                        if (r.value().getText().equals("poison")) {
                            throw new IllegalStateException("cannot answer " + r.key());
                        }
                        out.send(answers, r.key(), answer(r.value()));
                    }
                });
        Running running = Running.start(loop);
        await().atMost(Duration.ofSeconds(30)).until(() -> loop.consumed() == 3);
        running.stop();

        // Then: after the failed batch call each record was served alone.
        assertThat(calls).containsExactly(List.of("a", "poison", "b"), List.of("a"), List.of("poison"), List.of("b"));
        // Then: only the poison is dead-lettered, with the exception as its reason...
        List<DeadLetter> letters = readValues(topics.deadLetters(), "read_committed");
        assertThat(letters).extracting(DeadLetter::getSourceOffset).containsExactly(1L);
        assertThat(letters.get(0).getErrorClass()).isEqualTo(IllegalStateException.class.getName());
        assertThat(letters.get(0).getReason()).isEqualTo("cannot answer poison");
        // ...and the failed call's answer to "a" was never published: each answer appears once.
        assertThat(readCommitted(answers)).containsExactly("a:FIRST", "b:SECOND");
        assertThat(readUncommitted(answers)).containsExactly("a:FIRST", "b:SECOND");
        assertThat(committedOffset()).isEqualTo(3);
    }

    @Test
    void aFailedCommitIsAbortedAndTheBatchIsConsumedAgain() throws Exception {
        produce("a", "first");
        produce("b", "second");

        // When: the first commit fails after the batch's answers were written in its transaction.
        List<List<String>> calls = new CopyOnWriteArrayList<>();
        FailingCommitProducer producer = new FailingCommitProducer(kafka.transactionalProducer(transactionalId, "failing"), false);
        ConsumerLoop<String, Prompt> loop = loop(producer, recordingAnswerer(calls));
        Running running = Running.start(loop);
        await().atMost(Duration.ofSeconds(30)).until(() -> loop.consumed() == 2);
        running.stop();

        // Then: the batch was handled twice, and its answers are visible once: the first attempt was aborted.
        assertThat(calls).containsExactly(List.of("a", "b"), List.of("a", "b"));
        assertThat(readUncommitted(answers)).containsExactly("a:FIRST", "b:SECOND", "a:FIRST", "b:SECOND");
        assertThat(readCommitted(answers)).containsExactly("a:FIRST", "b:SECOND");
        assertThat(loop.batches()).isEqualTo(1);
        assertThat(committedOffset()).isEqualTo(2);
    }

    @Test
    void aCrashBeforeTheCommitLeavesNothingVisibleAndTheNextInstanceConsumesTheBatchAgain() throws Exception {
        produce("a", "first");
        produce("b", "second");
        produce("c", "third");

        // Given: an instance that dies between writing its batch's answers and committing them.
        List<List<String>> firstCalls = new CopyOnWriteArrayList<>();
        FailingCommitProducer crashing = new FailingCommitProducer(kafka.transactionalProducer(transactionalId, "crashing"), true);
        Running first = Running.start(loop(crashing, recordingAnswerer(firstCalls)));
        first.awaitEnd();
        assertThat(firstCalls).containsExactly(List.of("a", "b", "c"));
        assertThat(readUncommitted(answers)).hasSize(3);
        assertThat(readCommitted(answers)).isEmpty();

        // When: the next instance starts with the same transactional id.
        List<List<String>> secondCalls = new CopyOnWriteArrayList<>();
        ConsumerLoop<String, Prompt> second = ConsumerLoop.exactlyOnce(SERVICE, kafka, prompts, group, transactionalId, 10,
                CHECK, recordingAnswerer(secondCalls));
        Running running = Running.start(second);
        await().atMost(Duration.ofSeconds(30)).until(() -> second.consumed() == 3);
        running.stop();

        // Then: it consumed the whole batch again, and each answer is visible exactly once.
        assertThat(secondCalls).containsExactly(List.of("a", "b", "c"));
        assertThat(readCommitted(answers)).containsExactly("a:FIRST", "b:SECOND", "c:THIRD");
        assertThat(committedOffset()).isEqualTo(3);
    }

    @Test
    void aSecondInstanceWithTheSameTransactionalIdFencesTheFirst() throws Exception {
        // Given: a first instance that committed one batch and is busy with the next.
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ConsumerLoop<String, Prompt> first = ConsumerLoop.exactlyOnce(SERVICE, kafka, prompts, group, transactionalId, 10,
                CHECK, (records, out) -> {
                    if (keys(records).contains("slow")) {
                        busy.countDown();
                        awaitQuietly(release);
                    }
                    records.forEach(r -> out.send(answers, r.key(), answer(r.value())));
                });
        Running firstRunning = Running.start(first);
        produce("a", "first");
        await().atMost(Duration.ofSeconds(30)).until(() -> first.batches() == 1);
        produce("slow", "second");
        assertThat(busy.await(30, TimeUnit.SECONDS)).isTrue();
        int epoch = producerEpoch();

        // When: a second instance starts with the same transactional id, and then the first finishes its batch.
        List<List<String>> secondCalls = new CopyOnWriteArrayList<>();
        ConsumerLoop<String, Prompt> second = ConsumerLoop.exactlyOnce(SERVICE, kafka, prompts, group, transactionalId, 10,
                CHECK, recordingAnswerer(secondCalls));
        Running secondRunning = Running.start(second);
        await().atMost(Duration.ofSeconds(30)).until(() -> producerEpoch() > epoch);
        release.countDown();

        // Then: the first stops, fenced, without committing its batch; the second takes the batch over.
        firstRunning.awaitEnd();
        assertThat(firstRunning.failure.get()).isNotNull();
        assertThat(causes(firstRunning.failure.get())).hasAtLeastOneElementOfType(ProducerFencedException.class);
        assertThat(first.batches()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(60)).until(() -> second.batches() == 1);
        secondRunning.stop();
        assertThat(secondCalls).containsExactly(List.of("slow"));
        assertThat(readCommitted(answers)).containsExactly("a:FIRST", "slow:SECOND");
        assertThat(committedOffset()).isEqualTo(2);
    }

    // ---- the service under test and its clients

    private static Prompt answer(Prompt p) {
        return DeadLetterScenario.prompt(p.getPromptId(), p.getText().toUpperCase());
    }

    private BatchHandler<String, Prompt> recordingAnswerer(List<List<String>> calls) {
        return (records, out) -> {
            calls.add(keys(records));
            records.forEach(r -> out.send(answers, r.key(), answer(r.value())));
        };
    }

    /** A loop whose transactions go through the given producer. */
    private ConsumerLoop<String, Prompt> loop(KafkaProducer<byte[], byte[]> producer, BatchHandler<String, Prompt> handler) {
        return new ConsumerLoop<>(SERVICE, prompts, new KafkaConsumer<>(kafka.readCommittedConsumer(group, SERVICE, 10)),
                new ExactlyOnceDelivery(SERVICE, transactionalId, producer, topics.deadLetters()), CHECK, handler, false,
                Duration.ofMillis(200));
    }

    /**
     * A real transactional producer whose first commit writes the transaction's records and then fails:
     * either as a crash would (the producer dies without ending its transaction) or as a failed commit.
     */
    private static final class FailingCommitProducer extends KafkaProducer<byte[], byte[]> {
        private final boolean crash;
        private boolean failed;

        FailingCommitProducer(Properties config, boolean crash) {
            super(config);
            this.crash = crash;
        }

        @Override
        public void commitTransaction() {
            if (!failed) {
                failed = true;
                flush();
                if (crash) {
                    close(Duration.ZERO);
                }
                throw new KafkaException("commit failed (simulated)");
            }
            super.commitTransaction();
        }
    }

    /** A loop running on its own thread. */
    private record Running(ConsumerLoop<?, ?> loop, Thread thread, AtomicReference<Throwable> failure) {
        static Running start(ConsumerLoop<?, ?> loop) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread thread = new Thread(() -> {
                try {
                    loop.run();
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "loop-under-test");
            thread.start();
            return new Running(loop, thread, failure);
        }

        void stop() throws InterruptedException {
            loop.stop();
            assertThat(loop.awaitStopped(Duration.ofSeconds(30))).isTrue();
            thread.join(10_000);
            assertThat(failure.get()).isNull();
        }

        void awaitEnd() throws InterruptedException {
            thread.join(30_000);
            assertThat(thread.isAlive()).as("loop still running").isFalse();
        }
    }

    // ---- reading the topics

    private void produce(String key, String text) throws Exception {
        produce(key, DeadLetterScenario.encode(prompts, DeadLetterScenario.prompt(key, text)));
    }

    private void produce(String key, byte[] value) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.rawProducer("test"))) {
            producer.send(new ProducerRecord<>(prompts.name(), 0, key.getBytes(StandardCharsets.UTF_8), value)).get();
        }
    }

    private List<String> readCommitted(Topic<String, Prompt> topic) {
        return read(topic, "read_committed").stream().map(r -> r.key() + ":" + r.value().getText()).toList();
    }

    private List<String> readUncommitted(Topic<String, Prompt> topic) {
        return read(topic, "read_uncommitted").stream().map(r -> r.key() + ":" + r.value().getText()).toList();
    }

    private <V> List<V> readValues(Topic<String, V> topic, String isolation) {
        return read(topic, isolation).stream().map(ConsumerRecord::value).toList();
    }

    /** Everything a reader with this isolation level can see now: up to the last stable offset for read_committed. */
    private <V> List<ConsumerRecord<String, V>> read(Topic<String, V> topic, String isolation) {
        Properties p = kafka.rawConsumer("reader-" + UUID.randomUUID(), "reader");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        try (KafkaConsumer<String, V> c = new KafkaConsumer<>(p, topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
            List<TopicPartition> partitions = c.partitionsFor(topic.name()).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            c.assign(partitions);
            c.seekToBeginning(partitions);
            var end = c.endOffsets(partitions);
            long deadline = System.currentTimeMillis() + 30_000;
            while (partitions.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.currentTimeMillis() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    private long committedOffset() throws Exception {
        try (Admin admin = Admin.create(kafka.admin("check"))) {
            var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            return committed.get(new TopicPartition(prompts.name(), 0)).offset();
        }
    }

    private int producerEpoch() throws Exception {
        try (Admin admin = Admin.create(kafka.admin("check"))) {
            return admin.describeTransactions(List.of(transactionalId)).description(transactionalId).get().producerEpoch();
        }
    }

    private static List<String> keys(List<ConsumerRecord<String, Prompt>> records) {
        return records.stream().map(ConsumerRecord::key).toList();
    }

    private static List<Throwable> causes(Throwable t) {
        List<Throwable> out = new ArrayList<>();
        for (; t != null; t = t.getCause()) {
            out.add(t);
            for (Throwable s : t.getSuppressed()) {
                out.add(s);
            }
        }
        return out;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package dev.odpo.pairs;

import dev.odpo.events.HumanFeedback;
import dev.odpo.events.Sample;
import dev.odpo.pairs.StoreSerdes.PendingFeedback;
import dev.odpo.pairs.StoreSerdes.RetainedRating;
import dev.odpo.pairs.StoreSerdes.RetainedSample;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins human feedback with the samples it names. Samples are kept for the sample retention; feedback
 * that names samples not seen yet waits (up to feedback.wait) for them and is dead-lettered with the
 * reason if they never arrive. Ratings are kept (for the retention) to pair with later ratings of the
 * same prompt. All three stores are keyed "prompt_id \0 id", so one prompt's entries are one prefix scan.
 */
final class HumanFeedbackProcessor implements Processor<String, Decoded<?>, String, Object> {
    private static final Logger log = LoggerFactory.getLogger(HumanFeedbackProcessor.class);
    private static final StringSerializer KEYS = new StringSerializer();

    private final PairBuilderConfig config;
    private final PairBuilderMetrics metrics;
    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, RetainedSample> samples;
    private KeyValueStore<String, PendingFeedback> pending;
    private KeyValueStore<String, RetainedRating> ratings;
    private long lastEvictionMs;

    HumanFeedbackProcessor(PairBuilderConfig config, PairBuilderMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.samples = context.getStateStore(PairBuilderTopology.SAMPLES_STORE);
        this.pending = context.getStateStore(PairBuilderTopology.PENDING_FEEDBACK_STORE);
        this.ratings = context.getStateStore(PairBuilderTopology.RATINGS_STORE);
        this.lastEvictionMs = context.currentSystemTimeMs();
        context.schedule(config.punctuateInterval(), PunctuationType.WALL_CLOCK_TIME, this::sweep);
    }

    @Override
    public void process(Record<String, Decoded<?>> record) {
        long now = context.currentSystemTimeMs();
        Object event = record.value().value();
        if (event instanceof Sample sample) {
            samples.put(key(sample.getPromptId(), sample.getSampleId()), new RetainedSample(sample, now));
            retryPending(sample.getPromptId(), record.timestamp(), now);
        } else if (event instanceof HumanFeedback fb) {
            RecordMetadata meta = context.recordMetadata().orElseThrow();
            PendingFeedback entry = new PendingFeedback(fb, record.value().raw(), now, meta.topic(), meta.partition(), meta.offset());
            if (!handle(entry, record.timestamp(), now)) {
                log.info("feedback {} waits for samples {} of prompt {}", fb.getFeedbackId(),
                        HumanFeedbackResolver.sampleIdsOf(fb), fb.getPromptId());
                pending.put(key(fb.getPromptId(), fb.getFeedbackId()), entry);
            }
        } else {
            throw new IllegalArgumentException("unexpected event " + event.getClass());
        }
    }

    /** Resolves one feedback event; false when samples it names are still missing. */
    private boolean handle(PendingFeedback entry, long timestamp, long now) {
        HumanFeedback fb = entry.feedback();
        var outcome = HumanFeedbackResolver.resolve(fb, id -> sample(fb.getPromptId(), id), Instant.ofEpochMilli(now));
        if (outcome instanceof HumanFeedbackResolver.MissingSamples) {
            return false;
        }
        if (outcome instanceof HumanFeedbackResolver.Paired p) {
            emit(p, timestamp);
        } else if (outcome instanceof HumanFeedbackResolver.Tie) {
            metrics.ties(1);
        } else if (outcome instanceof HumanFeedbackResolver.Invalid i) {
            deadLetter(entry, "InvalidFeedback", i.reason());
        } else if (outcome instanceof HumanFeedbackResolver.Rated r) {
            pairWithEarlierRatings(fb, r.sample(), timestamp, now);
        }
        return true;
    }

    private void pairWithEarlierRatings(HumanFeedback fb, Sample sample, long timestamp, long now) {
        List<RetainedRating> earlier = new ArrayList<>();
        try (KeyValueIterator<String, RetainedRating> it = ratings.prefixScan(fb.getPromptId() + '\0', KEYS)) {
            it.forEachRemaining(kv -> earlier.add(kv.value));
        }
        for (RetainedRating other : earlier) {
            boolean sameEvent = other.feedback().getFeedbackId().equals(fb.getFeedbackId());
            boolean sameSample = other.sample().getSampleId().equals(sample.getSampleId());
            if (sameEvent || sameSample) {
                continue;
            }
            var outcome = HumanFeedbackResolver.pairRatings(fb, sample, other.feedback(), other.sample(), Instant.ofEpochMilli(now));
            if (outcome instanceof HumanFeedbackResolver.Paired p) {
                emit(p, timestamp);
            } else {
                metrics.ties(1);
            }
        }
        ratings.put(key(fb.getPromptId(), fb.getFeedbackId()), new RetainedRating(fb, sample, now));
    }

    /** A sample arrived: feedback of its prompt that was waiting may now resolve. */
    private void retryPending(String promptId, long timestamp, long now) {
        List<KeyValue<String, PendingFeedback>> waiting = new ArrayList<>();
        try (KeyValueIterator<String, PendingFeedback> it = pending.prefixScan(promptId + '\0', KEYS)) {
            it.forEachRemaining(waiting::add);
        }
        for (KeyValue<String, PendingFeedback> kv : waiting) {
            if (handle(kv.value, timestamp, now)) {
                pending.delete(kv.key);
            }
        }
    }

    /** Dead-letters feedback that waited too long; now and then evicts samples and ratings past the retention. */
    private void sweep(long now) {
        if (now - lastEvictionMs >= config.evictionInterval().toMillis()) {
            lastEvictionMs = now;
            long retention = config.sampleRetention().toMillis();
            evict(samples, now, retention, RetainedSample::receivedAtMs);
            evict(ratings, now, retention, RetainedRating::receivedAtMs);
        }
        List<KeyValue<String, PendingFeedback>> expired = new ArrayList<>();
        try (KeyValueIterator<String, PendingFeedback> it = pending.all()) {
            it.forEachRemaining(kv -> {
                if (now - kv.value.receivedAtMs() >= config.feedbackWait().toMillis()) {
                    expired.add(kv);
                }
            });
        }
        for (KeyValue<String, PendingFeedback> kv : expired) {
            HumanFeedback fb = kv.value.feedback();
            List<String> missing = HumanFeedbackResolver.sampleIdsOf(fb).stream()
                    .filter(id -> sample(fb.getPromptId(), id).isEmpty()).toList();
            deadLetter(kv.value, "UnknownSample", "feedback " + fb.getFeedbackId() + " names sample(s) " + missing
                    + " of prompt " + fb.getPromptId() + " that are unknown or expired: not seen within feedback.wait "
                    + config.feedbackWait() + " after the feedback (samples are kept for sample.retention "
                    + config.sampleRetention() + ")");
            pending.delete(kv.key);
        }
    }

    private interface ReceivedAt<V> {
        long of(V value);
    }

    private static <V> void evict(KeyValueStore<String, V> store, long now, long retentionMs, ReceivedAt<V> receivedAt) {
        List<String> old = new ArrayList<>();
        try (KeyValueIterator<String, V> it = store.all()) {
            it.forEachRemaining(kv -> {
                if (now - receivedAt.of(kv.value) >= retentionMs) {
                    old.add(kv.key);
                }
            });
        }
        old.forEach(store::delete);
    }

    private Optional<Sample> sample(String promptId, String sampleId) {
        return Optional.ofNullable(samples.get(key(promptId, sampleId))).map(RetainedSample::sample);
    }

    private void emit(HumanFeedbackResolver.Paired paired, long timestamp) {
        var pair = paired.pair();
        context.forward(new Record<String, Object>(pair.getPromptId(), pair, timestamp), PairBuilderTopology.PAIRS_SINK);
        metrics.humanPair();
    }

    private void deadLetter(PendingFeedback entry, String errorClass, String reason) {
        log.warn("dead letter from {}-{}@{}: {}", entry.topic(), entry.partition(), entry.offset(), reason);
        HumanFeedback fb = entry.feedback();
        var origin = new DeadLetterRecords.Origin(entry.topic(), entry.partition(), entry.offset(), fb.getPromptId(), entry.raw(), null);
        var deadLetter = DeadLetterRecords.of(origin, errorClass, reason, Instant.ofEpochMilli(context.currentSystemTimeMs()));
        context.forward(new Record<String, Object>(fb.getPromptId(), deadLetter, context.currentSystemTimeMs()),
                PairBuilderTopology.DEAD_LETTERS_SINK);
        metrics.deadLetter();
    }

    private static String key(String promptId, String id) {
        return promptId + '\0' + id;
    }
}

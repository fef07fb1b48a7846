package dev.odpo.pairs;

import dev.odpo.events.PreferencePair;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects each group's samples and scores and emits its pairs once it is complete; a wall-clock
 * punctuation flushes or discards groups that did not complete in time. A finished group leaves only a
 * marker (its close time) in a second store, so late events for it are recognised; markers are evicted
 * after the sample retention. The open-groups store is scanned every punctuation, the markers only every
 * {@link PairBuilderConfig#evictionInterval()}: both stores stay bounded.
 */
final class SampleGroupProcessor implements Processor<String, Decoded<?>, String, Object> {
    private static final Logger log = LoggerFactory.getLogger(SampleGroupProcessor.class);

    private final PairBuilderConfig config;
    private final PairSelector selector;
    private final PairBuilderMetrics metrics;
    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, GroupState> groups;   // "prompt_id \0 group_id" -> open group
    private KeyValueStore<String, Long> closed;         // "prompt_id \0 group_id" -> when it closed (wall clock ms)
    private long lastEvictionMs;

    SampleGroupProcessor(PairBuilderConfig config, PairBuilderMetrics metrics) {
        this.config = config;
        this.selector = config.selector();
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.groups = context.getStateStore(PairBuilderTopology.GROUPS_STORE);
        this.closed = context.getStateStore(PairBuilderTopology.CLOSED_GROUPS_STORE);
        this.lastEvictionMs = context.currentSystemTimeMs();
        context.schedule(config.punctuateInterval(), PunctuationType.WALL_CLOCK_TIME, this::sweep);
    }

    @Override
    public void process(Record<String, Decoded<?>> record) {
        Object event = record.value().value();
        long now = context.currentSystemTimeMs();
        String promptId;
        String groupId;
        if (event instanceof Sample sample) {
            promptId = sample.getPromptId();
            groupId = sample.getGroupId();
        } else if (event instanceof Score score) {
            promptId = score.getPromptId();
            groupId = score.getGroupId();
        } else {
            throw new IllegalArgumentException("unexpected event " + event.getClass());
        }
        String key = promptId + '\0' + groupId;
        if (closed.get(key) != null) {
            // a second scorer or a redelivered sample after the group made its pairs: nothing to do
            metrics.lateEvent();
            log.debug("late {} for closed group {}", event.getClass().getSimpleName(), groupId);
            return;
        }
        GroupState state = groups.get(key);
        if (state == null) {
            state = new GroupState(groupId, promptId, now);
        }
        if (event instanceof Sample sample) {
            state.add(sample);
        } else {
            state.add((Score) event);
        }
        if (state.isComplete(config.scorers(), config.lengthUnit())) {
            emit(state, record.timestamp(), now);
            metrics.groupCompleted();
            close(key, now);
        } else {
            groups.put(key, state);
        }
    }

    private void close(String key, long now) {
        groups.delete(key);
        closed.put(key, now);
    }

    /** Flushes or discards timed-out groups; now and then evicts closed markers older than the sample retention. */
    private void sweep(long now) {
        List<KeyValue<String, GroupState>> due = new ArrayList<>();
        try (KeyValueIterator<String, GroupState> it = groups.all()) {
            while (it.hasNext()) {
                KeyValue<String, GroupState> entry = it.next();
                if (now - entry.value.openedAtMs() >= config.groupTimeout().toMillis()) {
                    due.add(entry);
                }
            }
        }
        for (KeyValue<String, GroupState> entry : due) {
            GroupState g = entry.value;
            int scored = g.scoredSamples(config.scorers(), config.lengthUnit()).size();
            if (scored >= 2) {
                log.info("group {} of prompt {} timed out with {}/{} scored samples: flushing",
                        g.groupId(), g.promptId(), scored, g.groupSize());
                emit(g, now, now);
                metrics.groupFlushed();
            } else {
                log.info("group {} of prompt {} timed out with {}/{} scored samples: discarded",
                        g.groupId(), g.promptId(), scored, g.groupSize());
                metrics.groupDiscarded();
            }
            close(entry.key, now);
        }
        if (now - lastEvictionMs >= config.evictionInterval().toMillis()) {
            lastEvictionMs = now;
            List<String> expired = new ArrayList<>();
            try (KeyValueIterator<String, Long> it = closed.all()) {
                it.forEachRemaining(kv -> {
                    if (now - kv.value >= config.sampleRetention().toMillis()) {
                        expired.add(kv.key);
                    }
                });
            }
            expired.forEach(closed::delete);
        }
    }

    private void emit(GroupState state, long timestamp, long now) {
        PairSelector.Selection selection = selector.select(state.groupId(),
                state.scoredSamples(config.scorers(), config.lengthUnit()), Instant.ofEpochMilli(now));
        metrics.ties(selection.ties());
        metrics.belowMargin(selection.belowMargin());
        for (PreferencePair pair : selection.pairs()) {
            context.forward(new Record<String, Object>(pair.getPromptId(), pair, timestamp), PairBuilderTopology.PAIRS_SINK);
            metrics.groupPair(pair.getMargin());
        }
    }
}

package dev.odpo.generator;

import dev.odpo.events.Prompt;
import dev.odpo.events.Sample;
import dev.odpo.kafka.BatchHandler;
import dev.odpo.kafka.ConsumerLoop;
import dev.odpo.kafka.RecordCheck;
import dev.odpo.kafka.Service;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.ConfigException;
import dev.odpo.policy.CheckpointFollower;
import dev.odpo.policy.CheckpointSettings;
import dev.odpo.policy.LocalCheckpointStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generator: consumes prompts in a consumer group and, for each poll's worth, samples N responses per
 * prompt from the live policy and produces one {@code Sample} per response — samples and consumed offsets in
 * one Kafka transaction, so {@code read_committed} readers see each prompt's group exactly once, across
 * crashes.
 *
 * <p>It serves the newest announced version of its policy, waiting for one at start. A newer version is
 * verified and loaded off the serving thread by a {@link CheckpointFollower} and swapped in between batches,
 * never during a decode; a refused snapshot leaves the old version serving. Prompts it cannot serve (empty,
 * too long, chat markup, refused by the chat template) go to the dead-letter topic with the reason, in the
 * same transaction; the prompts around them are served. A prompt id already sampled from another record
 * within the last {@code generator.dedup.window} prompt ids is dead-lettered as a duplicate ({@link RecentPrompts}).
 */
public final class Generator implements Service {

    private static final Logger log = LoggerFactory.getLogger(Generator.class);
    static final String SERVICE = "generator";

    private final GeneratorConfig config;
    private final Topic<String, Sample> samples;
    private final CheckpointFollower<ServingPolicy> follower;
    private final RolloutGate gate;
    private final ConsumerLoop<String, Prompt> loop;
    private final GeneratorStats stats = new GeneratorStats();
    private final ProgressLog progress;
    private final RecentPrompts recent;   // touched only by the loop's thread
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    private final AtomicBoolean followerClosed = new AtomicBoolean();

    // Serving state: touched only by the loop's thread (the first adoption happens before the loop starts).
    private ServingPolicy current;
    private PromptRenderer renderer;
    private CheckpointFollower.Ready<ServingPolicy> awaitingFirstSample;
    private CheckpointFollower.Ready<ServingPolicy> candidate;   // verified and loaded, waiting for the rollout gate
    private String candidateWaitingFor;

    private Generator(GeneratorConfig config, LocalCheckpointStore store) {
        this.config = config;
        this.samples = config.kafka().topics().samples();
        boolean pilaf = config.sampling().sampler() == SamplerChoice.PILAF;
        this.follower = CheckpointFollower.create(SERVICE, config.policyName(), config.kafka(), store,
                new ServingPolicyLoader(store, config.device(), pilaf));
        this.recent = new RecentPrompts(config.dedupWindow());
        this.gate = config.rollout().evalGate()
                ? RolloutGate.onEvaluations(config.kafka(), config.policyName(), config.rollout().tolerance())
                : RolloutGate.open();
        this.loop = ConsumerLoop.exactlyOnce(SERVICE, config.kafka(), config.kafka().topics().prompts(),
                        config.groupId(), config.generatorId(), config.batchSize(),
                        (key, prompt) -> problems(key, prompt, config.maxPromptChars()), this::handle)
                .beforeEachBatch(this::adoptNewer);
        this.progress = new ProgressLog(stats, loop::pollNanos, config.kafka(), config.groupId(),
                config.kafka().topics().prompts().name(), config.progressInterval());
    }

    /**
     * A generator wired from its settings; it starts following the checkpoints and consuming when run.
     *
     * @throws ConfigException when the checkpoint directory cannot be created or read
     */
    public static Generator create(GeneratorConfig config) {
        LocalCheckpointStore store;
        try {
            store = new LocalCheckpointStore(config.checkpointDir());
        } catch (IOException e) {
            throw new ConfigException(CheckpointSettings.DIR.name() + ": cannot open the checkpoint store at "
                    + config.checkpointDir() + ": " + e.getMessage());
        }
        return new Generator(config, store);
    }

    /** What makes a prompt unusable before any model sees it; empty when it is fine. */
    static List<String> problems(String key, Prompt prompt, int maxPromptChars) {
        return new RecordCheck.Problems()
                .id("prompt_id", prompt.getPromptId())
                .keyMatches(key, "prompt_id", prompt.getPromptId())
                .text("text", prompt.getText(), maxPromptChars)
                .list();
    }

    @Override
    public void run() {
        SamplingPlan plan = config.sampling();
        log.info("{} '{}': {} responses per prompt ({}{}), temperature {}, top-p {}, top-k {}, at most {} new tokens, "
                        + "{} prompts per batch, policy '{}' on {}", SERVICE, config.generatorId(), plan.n(),
                plan.sampler().label(), plan.sampler() == SamplerChoice.PILAF ? ", β " + plan.beta() : "",
                plan.options().temperature(), plan.options().topP(), plan.options().topK(), plan.options().maxNewTokens(),
                config.batchSize(), config.policyName(), config.device());
        RuntimeException failure = null;
        try {
            follower.start();
            Optional<CheckpointFollower.Ready<ServingPolicy>> first = follower.awaitFirst(Duration.ofDays(3650));
            if (first.isPresent() && running) {
                if (adopt(first.get())) {
                    progress.start();
                } else {
                    failure = new ConfigException("the first version of policy '" + config.policyName()
                            + "' cannot be served with these settings (see the error above)");
                }
            } else {
                first.ifPresent(r -> r.value().close());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure = e;   // following the checkpoints failed before any version arrived
        }
        try {
            if (current == null) {
                loop.stop();   // then run() only closes the loop's clients
            }
            loop.run();
        } finally {
            progress.close();
            closeFollower();
            gate.close();
            if (candidate != null) {
                candidate.value().close();
            }
            if (current != null) {
                current.close();
            }
            stopped.countDown();
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void closeFollower() {
        if (followerClosed.compareAndSet(false, true)) {
            follower.close();
        }
    }

    /**
     * Swaps in a newer verified version, if the follower has one and the rollout gate lets it through: called
     * between batches. A candidate the gate has no verdict on yet waits (a newer one replaces it).
     */
    private void adoptNewer() {
        follower.takeNewer().ifPresent(newer -> {
            if (candidate != null) {
                log.info("{}: v{} superseded by v{} before the rollout gate decided", SERVICE, candidate.version(),
                        newer.version());
                candidate.value().close();
            }
            candidate = newer;
            candidateWaitingFor = null;
        });
        if (candidate == null) {
            return;
        }
        RolloutGate.Decision d = gate.decide(candidate.version(), current.version());
        switch (d.verdict()) {
            case WAIT -> {
                if (!d.reason().equals(candidateWaitingFor)) {
                    log.info("{}: rollout gate: v{} waits ({}); v{} keeps serving", SERVICE, candidate.version(),
                            d.reason(), current.version());
                    candidateWaitingFor = d.reason();
                }
            }
            case REJECT -> {
                log.warn("{}: rollout gate rejected {} v{} ({}); v{} keeps serving", SERVICE, config.policyName(),
                        candidate.version(), d.reason(), current.version());
                stats.rejected(candidate.version());
                candidate.value().close();
                candidate = null;
            }
            case ADOPT -> {
                if (gate.gated()) {
                    log.info("{}: rollout gate passed v{} ({})", SERVICE, candidate.version(), d.reason());
                }
                CheckpointFollower.Ready<ServingPolicy> next = candidate;
                candidate = null;
                adopt(next);
            }
        }
    }

    /** Serves {@code ready} from the next batch on, closing the version it replaces; false if it is refused. */
    private boolean adopt(CheckpointFollower.Ready<ServingPolicy> ready) {
        ServingPolicy next = ready.value();
        PromptRenderer nextRenderer;
        int context = next.policy().model().config().maxPositions();
        try {
            if (config.sampling().options().maxNewTokens() >= context) {
                throw new IllegalArgumentException(GeneratorConfig.MAX_NEW_TOKENS.name() + "="
                        + config.sampling().options().maxNewTokens() + " leaves no room for a prompt in the model's "
                        + "context of " + context + " positions");
            }
            nextRenderer = PromptRenderer.of(next.policy(), config.sampling().options().maxNewTokens());
        } catch (IOException | RuntimeException e) {
            log.error("{}: cannot serve {}: {}; {}", SERVICE, next.label(), e.getMessage(),
                    current == null ? "stopping" : "v" + current.version() + " keeps serving");
            next.close();
            return false;
        }
        ServingPolicy previous = current;
        current = next;
        renderer = nextRenderer;
        awaitingFirstSample = ready;
        stats.serving(next.version());
        log.info("{}: now serving {} (verified and loaded {} ms after it was written){}", SERVICE, next.label(),
                ready.latency().toMillis(), previous == null ? "" : "; v" + previous.version() + " retired");
        if (previous != null) {
            previous.close();
        }
        return true;
    }

    /** One batch: render each prompt, decode all groups together, hand the samples to the batch's transaction. */
    private void handle(List<ConsumerRecord<String, Prompt>> records, BatchHandler.Output<String, Prompt> out) {
        long r0 = System.nanoTime();
        List<ConsumerRecord<String, Prompt>> served = new ArrayList<>(records.size());
        List<int[]> prompts = new ArrayList<>(records.size());
        for (ConsumerRecord<String, Prompt> r : records) {
            PromptRenderer.Rendered rendered = renderer.render(r.value());
            if (!rendered.ok()) {
                out.reject(r, rendered.problem());
                continue;
            }
            RecentPrompts.Source first = recent.firstSampledAt(r.value().getPromptId(),
                    new RecentPrompts.Source(r.partition(), r.offset()));
            if (first != null) {
                out.reject(r, "duplicate prompt_id '" + r.value().getPromptId() + "': already sampled from " + first);
                continue;
            }
            served.add(r);
            prompts.add(rendered.ids());
        }
        long renderNanos = System.nanoTime() - r0;
        if (served.isEmpty()) {
            return;
        }
        ServingPolicy serving = current;
        SamplingPlan plan = config.sampling();
        ConsumerRecord<String, Prompt> head = served.get(0);
        Random rng = plan.randomFor(head.topic(), head.partition(), head.offset());
        long t0 = System.nanoTime();
        List<List<GroupSampler.Response>> groups = GroupSampler.sample(serving, plan, prompts, rng);
        long decodeNanos = System.nanoTime() - t0;
        Instant now = Instant.now();
        Samples.Lineage lineage = new Samples.Lineage(serving.policy().name(), serving.version(), config.generatorId(),
                plan.options().temperature(), plan.n());
        int sent = 0;
        for (int p = 0; p < served.size(); p++) {
            for (Sample s : Samples.group(served.get(p), groups.get(p), lineage, now)) {
                out.send(samples, s.getPromptId(), s);
                sent++;
            }
        }
        stats.batch(served.size(), sent, GroupSampler.tokens(groups), renderNanos, decodeNanos);
        noteFirstSample(now);
    }

    private void noteFirstSample(Instant now) {
        if (awaitingFirstSample == null) {
            return;
        }
        CheckpointFollower.Ready<ServingPolicy> r = awaitingFirstSample;
        awaitingFirstSample = null;
        Duration firstSample = Duration.between(r.announcement().getCreatedAt(), now);
        stats.adopted(new GeneratorStats.Adoption(r.version(), r.latency(), firstSample));
        log.info("{}: first samples of {} v{} {} ms after it was written", SERVICE, config.policyName(), r.version(),
                firstSample.toMillis());
    }

    @Override
    public void stop() {
        running = false;
        loop.stop();
        closeFollower();   // also ends a wait for the first version
    }

    @Override
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The consumer loop (counters of committed records). */
    public ConsumerLoop<String, Prompt> loop() {
        return loop;
    }

    /** Announced versions refused so far (snapshot missing, corrupt or outside the store): the old one kept serving. */
    public long versionsRefused() {
        return follower.refusedCount();
    }

    /** Prompts, samples, tokens, the version served and how each version was adopted. */
    public GeneratorStats stats() {
        return stats;
    }
}

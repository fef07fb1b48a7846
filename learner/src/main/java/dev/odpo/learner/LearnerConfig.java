package dev.odpo.learner;

import ai.djl.Device;
import dev.odpo.kafka.config.ConfigException;
import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.kafka.config.Setting;
import dev.odpo.model.AdamW;
import dev.odpo.model.DpoLoss;
import dev.odpo.model.DpoTrainer;
import dev.odpo.model.LearningRateSchedule;
import dev.odpo.model.ReferenceMode;
import dev.odpo.model.TrainingStep;
import dev.odpo.policy.CheckpointSettings;
import dev.odpo.policy.Devices;
import dev.odpo.policy.PolicyNames;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The learner's settings, read once at start and validated together: an unknown loss, reference or mode
 * fails here with the names that exist, before any model is loaded.
 *
 * @param kafka           where Kafka and the registry are; topic names and partitions
 * @param groupId         consumer group whose committed offsets mark the pairs already trained on
 * @param policyName      the policy this learner trains: the key of its announcements and its transactional id
 * @param maxChars        pairs whose prompt or responses are longer than this go to the dead-letter topic
 * @param maxTokens       pairs whose prompt + response is longer than this (or than the model's positions) too
 * @param checkpointDir   the checkpoint store's root
 * @param device          where the policy and π_ref run
 * @param dpo             loss, β, reference and the optimizer's schedule
 * @param mode            online or iterative
 * @param batchSize       pairs per minibatch (one gradient step, or one micro-batch with accumulation)
 * @param batchLinger     online: a partial minibatch trains once no pair has arrived for this long
 * @param snapshotSteps   online: publish after this many updates
 * @param snapshotEvery   online: publish when this much time has passed since the last one (and it trained)
 * @param iterationPairs  iterative: new pairs gathered before an iteration trains
 * @param epochs          iterative: passes over the iteration's data
 * @param replay          iterative: train each iteration on every pair retained on the topic, not only new ones
 * @param replayMaxPairs  iterative with replay: the newest pairs kept for training, bounding memory
 * @param maxStaleness    pairs sampled from a version more than this many versions behind are skipped; -1 = no bound
 * @param dedupeWindow    how many trained pair ids are remembered to recognise duplicates
 * @param metricsEvery    a LearnerMetrics record every this many updates (and one with each snapshot)
 * @param keepSnapshots   snapshots kept in the store (the reference's is kept as well)
 * @param seed            order of the minibatches of an iteration
 */
public record LearnerConfig(KafkaSettings kafka, String groupId, String policyName, int maxChars, int maxTokens,
                            Path checkpointDir, Device device, DpoTrainer.Options dpo, Mode mode, int batchSize,
                            Duration batchLinger,
                            int snapshotSteps, Duration snapshotEvery, int iterationPairs, int epochs, boolean replay,
                            int replayMaxPairs, int maxStaleness, int dedupeWindow, int metricsEvery,
                            int keepSnapshots, long seed) {

    /** How pairs become updates. */
    public enum Mode {
        /** A gradient step per minibatch as pairs arrive; a snapshot every K steps or T seconds. */
        ONLINE,
        /** Gather m new pairs, train E epochs on them (or on the replay), publish at the end. */
        ITERATIVE;

        static Mode parse(String name) {
            for (Mode m : values()) {
                if (m.name().toLowerCase(Locale.ROOT).equals(name.trim().toLowerCase(Locale.ROOT))) {
                    return m;
                }
            }
            throw new IllegalArgumentException("unknown mode '" + name + "'; expected one of online, iterative");
        }
    }

    static final Setting<String> GROUP_ID = Setting.string("learner.group.id", "odpo-learner",
                    "Consumer group of the learner; its committed offsets mark the pairs already trained on. "
                            + "Give each policy name its own group.")
            .withValidator(v -> v.isBlank() ? "must not be blank" : null);
    static final Setting<String> POLICY_NAME = Setting.string("learner.policy.name", "policy",
                    "Name of the policy this learner trains; the key of its checkpoint announcements. It starts from "
                            + "the newest announced version of this name (publish pi0 as version 0).")
            .withValidator(PolicyNames::problem);
    static final Setting<Integer> MAX_CHARS = Setting.integer("learner.max.chars", 65_536, 1, 10_000_000,
            "Pairs whose prompt or responses have more characters than this go to the dead-letter topic.");
    static final Setting<Integer> MAX_TOKENS = Setting.integer("learner.max.tokens", 2048, 2, 1_000_000,
            "Pairs whose prompt + response has more tokens than this (or than the model's positions) go to the "
                    + "dead-letter topic.");
    static final Setting<String> DEVICE = Setting.string("learner.device", "cpu",
            "Where the policy and the reference run: cpu, gpu or gpu:N.");
    static final Setting<String> LOSS = Setting.string("learner.loss", "sigmoid",
                    "The DPO-family loss: sigmoid (DPO), ipo or hinge (SLiC).")
            .withValidator(v -> problem(() -> DpoLoss.Kind.parse(v)));
    static final Setting<Double> BETA = Setting.number("learner.beta", "0.1", b -> b > 0,
            "must be > 0", "β: the strength of the pull towards the reference (larger = stay closer).");
    static final Setting<Double> LABEL_SMOOTHING = Setting.number("learner.label.smoothing", "0", e -> e >= 0 && e < 0.5,
            "must be in [0, 0.5)", "Assumed probability that a preference label is flipped (sigmoid loss only).");
    static final Setting<String> REFERENCE = Setting.string("learner.reference", "initial",
                    "The reference policy: initial (the version training started from, fixed) or previous (the "
                            + "last published version, replaced at each publish).")
            .withValidator(v -> problem(() -> ReferenceMode.parse(v)));
    static final Setting<String> MODE = Setting.string("learner.mode", "online",
                    "online (a step per minibatch as pairs arrive) or iterative (gather pairs, train epochs, publish).")
            .withValidator(v -> problem(() -> Mode.parse(v)));
    static final Setting<Integer> BATCH_SIZE = Setting.integer("learner.batch.size", 16, 1, 65_536,
            "Pairs per minibatch: one forward/backward of 2 x this many sequences.");
    static final Setting<Duration> BATCH_LINGER = Setting.duration("learner.batch.linger", "2s",
            "Online: when fewer pairs than a minibatch wait and none has arrived for this long, train on them.");
    static final Setting<Integer> ACCUMULATION = Setting.integer("learner.gradient.accumulation", 1, 1, 1024,
            "Minibatches whose gradients are averaged into one optimizer update.");
    static final Setting<Double> LEARNING_RATE = Setting.number("learner.learning.rate", "1e-4", r -> r > 0,
            "must be > 0", "Peak AdamW learning rate.");
    static final Setting<Integer> WARMUP_STEPS = Setting.integer("learner.warmup.steps", 10, 0, 10_000_000,
            "Updates of linear learning-rate warm-up from 0.");
    static final Setting<Integer> SCHEDULE_STEPS = Setting.integer("learner.schedule.steps", 0, 0, Integer.MAX_VALUE,
            "Update at which the cosine decay reaches its floor; 0 = constant after warm-up (open-ended online runs).");
    static final Setting<Double> MIN_LR_FRACTION = Setting.number("learner.min.learning.rate.fraction", "0.1",
            f -> f > 0 && f <= 1, "must be in (0, 1]", "The cosine's floor as a fraction of the peak rate.");
    static final Setting<Double> WEIGHT_DECAY = Setting.number("learner.weight.decay", "0", w -> w >= 0,
            "must be >= 0", "AdamW's decoupled weight decay on matrices.");
    static final Setting<Double> MAX_GRAD_NORM = Setting.number("learner.max.grad.norm", "1.0", n -> n >= 0,
            "must be >= 0", "Clip the global gradient norm to this; 0 = no clipping.");
    static final Setting<Integer> SNAPSHOT_STEPS = Setting.integer("learner.snapshot.steps", 50, 1, Integer.MAX_VALUE,
            "Online: publish a snapshot after this many updates.");
    static final Setting<Duration> SNAPSHOT_EVERY = Setting.duration("learner.snapshot.interval", "5m",
            "Online: also publish when this much time has passed since the last snapshot and it has trained since; "
                    + "0 = only by steps.");
    static final Setting<Integer> ITERATION_PAIRS = Setting.integer("learner.iteration.pairs", 512, 1, 10_000_000,
            "Iterative: new pairs gathered before an iteration trains.");
    static final Setting<Integer> EPOCHS = Setting.integer("learner.iteration.epochs", 2, 1, 1000,
            "Iterative: passes over the iteration's pairs.");
    static final Setting<Boolean> REPLAY = Setting.bool("learner.iteration.replay", false,
            "Iterative: train each iteration on every pair retained on the pairs topic (D_1..t), not only the new ones.");
    static final Setting<Integer> REPLAY_MAX_PAIRS = Setting.integer("learner.replay.max.pairs", 100_000, 1, 100_000_000,
            "Iterative with replay: at most this many of the newest retained pairs are trained on.");
    static final Setting<Integer> MAX_STALENESS = Setting.integer("learner.max.staleness", 4, -1, Integer.MAX_VALUE,
            "Pairs whose samples came from a version more than this many versions older than the learner's are "
                    + "skipped (and counted); -1 = no bound.");
    static final Setting<Integer> DEDUPE_WINDOW = Setting.integer("learner.dedupe.window", 1_000_000, 1, 100_000_000,
            "Trained pair ids remembered (and kept with each snapshot) to skip duplicates.");
    static final Setting<Integer> METRICS_EVERY = Setting.integer("learner.metrics.steps", 10, 1, Integer.MAX_VALUE,
            "A LearnerMetrics record every this many updates, and one with each snapshot.");
    static final Setting<Integer> KEEP_SNAPSHOTS = Setting.integer("learner.keep.snapshots", 10, 1, 1_000_000,
            "Snapshots of the policy kept in the store; older ones are deleted, except the reference's.");
    static final Setting<Long> SEED = Setting.longValue("learner.seed", 1, Long.MIN_VALUE, Long.MAX_VALUE,
            "Seed of the minibatch order within an iteration.");

    /** Every setting the learner reads, for loading and for --help. */
    public static final List<Setting<?>> SETTINGS;

    static {
        List<Setting<?>> all = new ArrayList<>(KafkaSettings.SETTINGS);
        all.addAll(CheckpointSettings.SETTINGS);
        all.addAll(List.of(GROUP_ID, POLICY_NAME, MAX_CHARS, MAX_TOKENS, DEVICE, LOSS, BETA, LABEL_SMOOTHING, REFERENCE,
                MODE, BATCH_SIZE, BATCH_LINGER, ACCUMULATION, LEARNING_RATE, WARMUP_STEPS, SCHEDULE_STEPS, MIN_LR_FRACTION,
                WEIGHT_DECAY, MAX_GRAD_NORM, SNAPSHOT_STEPS, SNAPSHOT_EVERY, ITERATION_PAIRS, EPOCHS, REPLAY,
                REPLAY_MAX_PAIRS, MAX_STALENESS, DEDUPE_WINDOW, METRICS_EVERY, KEEP_SNAPSHOTS, SEED));
        SETTINGS = List.copyOf(all);
    }

    /**
     * @throws ConfigException naming each setting whose value or combination cannot be used
     */
    public static LearnerConfig from(ConfigValues values) {
        List<String> problems = new ArrayList<>();
        Device device = null;
        try {
            device = Devices.parse(values.get(DEVICE));
        } catch (IllegalArgumentException e) {
            problems.add(DEVICE.name() + ": " + e.getMessage() + " (from " + values.sourceOf(DEVICE) + ")");
        }
        DpoLoss loss = null;
        try {
            loss = DpoLoss.parse(values.get(LOSS), values.get(BETA), values.get(LABEL_SMOOTHING));
        } catch (IllegalArgumentException e) {
            problems.add(LOSS.name() + "/" + LABEL_SMOOTHING.name() + ": " + e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        AdamW.Options adamw = AdamW.Options.of(values.get(LEARNING_RATE)).withWeightDecay(values.get(WEIGHT_DECAY))
                .withMaxGradNorm(values.get(MAX_GRAD_NORM));
        LearningRateSchedule schedule = new LearningRateSchedule(values.get(LEARNING_RATE), values.get(WARMUP_STEPS),
                values.get(SCHEDULE_STEPS), values.get(MIN_LR_FRACTION));
        DpoTrainer.Options dpo = new DpoTrainer.Options(loss, ReferenceMode.parse(values.get(REFERENCE)),
                new TrainingStep.Options(adamw, schedule, values.get(ACCUMULATION)));
        return new LearnerConfig(KafkaSettings.from(values), values.get(GROUP_ID), values.get(POLICY_NAME),
                values.get(MAX_CHARS), values.get(MAX_TOKENS), Path.of(values.get(CheckpointSettings.DIR)), device, dpo,
                Mode.parse(values.get(MODE)), values.get(BATCH_SIZE), values.get(BATCH_LINGER), values.get(SNAPSHOT_STEPS),
                values.get(SNAPSHOT_EVERY), values.get(ITERATION_PAIRS), values.get(EPOCHS), values.get(REPLAY),
                values.get(REPLAY_MAX_PAIRS), values.get(MAX_STALENESS), values.get(DEDUPE_WINDOW),
                values.get(METRICS_EVERY), values.get(KEEP_SNAPSHOTS), values.get(SEED));
    }

    /** The Kafka transactional id: one per policy name, so a second learner of the same policy fences the first. */
    public String transactionalId() {
        return "odpo-learner-" + policyName;
    }

    /** Whether a pair sampled {@code staleness} versions behind the learner's version is skipped. */
    public boolean tooStale(long staleness) {
        return maxStaleness >= 0 && staleness > maxStaleness;
    }

    private static String problem(Runnable parse) {
        try {
            parse.run();
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }
}

package dev.odpo.pairs;

import dev.odpo.kafka.RecordCheck;
import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.kafka.config.Setting;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Every setting the pair-builder service reads, declared once (env var ODPO_PAIR_BUILDER_..., or a
 * properties file), plus the shared Kafka settings. {@link #from(ConfigValues)} turns them into the
 * typed {@link PairBuilderConfig} and the service-level values.
 */
public record PairBuilderSettings(KafkaSettings kafka, PairBuilderConfig pairing, String applicationId,
                                  Path stateDir, int threads, Duration metricsLogInterval) {

    public static final Setting<String> APPLICATION_ID = Setting.string("pair-builder.application.id", "odpo-pair-builder",
            "Kafka Streams application id: the consumer group, and the prefix of the state changelog topics.");
    public static final Setting<String> SELECTION = Setting.string("pair-builder.selection", "max-min",
            "How a scored group becomes pairs: max-min (best vs worst), max-random (best vs a random other) or pilaf "
                    + "(the two samples drawn together).")
            .withValidator(v -> problem(() -> SelectionRule.parse(v)));
    public static final Setting<String> SCORERS = Setting.string("pair-builder.scorers", "",
            "Scorers whose rewards decide: empty = the first score of each sample; a comma list = the sum of those "
                    + "scorers' rewards, waiting for all of them (e.g. reward-model:rm-v1,length-penalty).");
    public static final Setting<Double> MIN_MARGIN = decimal("pair-builder.min.margin", "0",
            "Drop pairs whose reward margin is below this (equal rewards and identical responses are always dropped).");
    public static final Setting<Double> LENGTH_PENALTY = decimal("pair-builder.length.penalty", "0",
            "λ in reward − λ·|response| used to rank samples (papers/002 eq. 8); 0 ranks by reward alone.");
    public static final Setting<String> LENGTH_UNIT = Setting.string("pair-builder.length.unit", "chars",
            "How |response| is counted for the length penalty: chars or tokens.")
            .withValidator(v -> problem(() -> LengthUnit.parse(v)));
    public static final Setting<Long> SEED = Setting.longValue("pair-builder.seed", 0, Long.MIN_VALUE, Long.MAX_VALUE,
            "Seed of max-random's draw (mixed with the group id, so a replay draws the same sample).");
    public static final Setting<Duration> GROUP_TIMEOUT = Setting.duration("pair-builder.group.timeout", "5m",
            "An incomplete group is flushed (if it has at least two scored samples) or discarded after this.")
            .withValidator(PairBuilderSettings::positive);
    public static final Setting<Duration> SAMPLE_RETENTION = Setting.duration("pair-builder.sample.retention", "6h",
            "How long samples are kept so that late human feedback can still become a pair.")
            .withValidator(PairBuilderSettings::positive);
    public static final Setting<Duration> FEEDBACK_WAIT = Setting.duration("pair-builder.feedback.wait", "10m",
            "Feedback naming samples not seen yet waits this long for them, then goes to dead letters.")
            .withValidator(PairBuilderSettings::positive);
    public static final Setting<Duration> PUNCTUATE_INTERVAL = Setting.duration("pair-builder.punctuate.interval", "5s",
            "How often timeouts and retention are enforced (wall clock).")
            .withValidator(PairBuilderSettings::positive);
    public static final Setting<Integer> MAX_GROUP_SIZE = Setting.integer("pair-builder.max.group.size",
            RecordCheck.MAX_GROUP_SIZE, 2, RecordCheck.MAX_GROUP_SIZE,
            "Samples or scores announcing a larger group go to dead letters (the scorer refuses groups over "
                    + RecordCheck.MAX_GROUP_SIZE + " itself).");
    public static final Setting<String> STATE_DIR = Setting.string("pair-builder.state.dir", "",
            "Directory of the local state stores (RocksDB); empty = Kafka Streams' default under the temp directory.");
    public static final Setting<Integer> THREADS = Setting.integer("pair-builder.threads", 1, 1, 64,
            "Stream threads; more than the input partitions is wasted.");
    public static final Setting<Duration> METRICS_LOG_INTERVAL = Setting.duration("pair-builder.metrics.log.interval", "1m",
            "How often the pair-builder logs its counters (pairs/s, groups, ties, margins).")
            .withValidator(PairBuilderSettings::positive);

    /** Everything --help lists: the shared Kafka settings, then the pair-builder's own. */
    public static final List<Setting<?>> SETTINGS = all();

    public static PairBuilderSettings from(ConfigValues values) {
        PairBuilderConfig pairing = new PairBuilderConfig(
                SelectionRule.parse(values.get(SELECTION)),
                ScorerChoice.parse(values.get(SCORERS)),
                values.get(MIN_MARGIN),
                values.get(LENGTH_PENALTY),
                LengthUnit.parse(values.get(LENGTH_UNIT)),
                values.get(SEED),
                values.get(GROUP_TIMEOUT),
                values.get(SAMPLE_RETENTION),
                values.get(FEEDBACK_WAIT),
                values.get(PUNCTUATE_INTERVAL),
                values.get(MAX_GROUP_SIZE));
        String stateDir = values.get(STATE_DIR);
        return new PairBuilderSettings(KafkaSettings.from(values), pairing, values.get(APPLICATION_ID),
                stateDir.isBlank() ? null : Path.of(stateDir), values.get(THREADS), values.get(METRICS_LOG_INTERVAL));
    }

    private static List<Setting<?>> all() {
        List<Setting<?>> settings = new ArrayList<>(KafkaSettings.SETTINGS);
        settings.addAll(List.of(APPLICATION_ID, SELECTION, SCORERS, MIN_MARGIN, LENGTH_PENALTY, LENGTH_UNIT, SEED,
                GROUP_TIMEOUT, SAMPLE_RETENTION, FEEDBACK_WAIT, PUNCTUATE_INTERVAL, MAX_GROUP_SIZE, STATE_DIR, THREADS,
                METRICS_LOG_INTERVAL));
        return List.copyOf(settings);
    }

    private static Setting<Double> decimal(String name, String defaultValue, String description) {
        return Setting.number(name, defaultValue, v -> v >= 0, "must be a finite number >= 0", description);
    }

    private static String positive(Duration d) {
        return d.isZero() ? "must be positive" : null;
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

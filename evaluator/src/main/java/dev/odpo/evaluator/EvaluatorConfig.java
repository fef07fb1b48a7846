package dev.odpo.evaluator;

import dev.odpo.kafka.config.ConfigException;
import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.kafka.config.Setting;
import dev.odpo.policy.CheckpointSettings;
import dev.odpo.policy.PolicyNames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The evaluator's settings, read once at start. The settings of the measurement itself ({@link #SPEC_SETTINGS})
 * are also the defaults of {@code odpo evaluate}, so both measure the same way unless told otherwise.
 *
 * @param kafka          where Kafka and the registry are; topic names and partitions
 * @param groupId        consumer group of the evaluator
 * @param policyName     the policy whose versions are evaluated
 * @param spec           the held-out set, decoding, seeds and β
 * @param device         where models run: cpu, gpu or gpu:N
 * @param checkpointDir  root of the checkpoint store the announcements point into
 * @param reportDir      where the report (HTML and PNG plots) of this policy is written
 * @param rewardModelDir the proxy reward model the loop optimizes, or null for none
 */
public record EvaluatorConfig(KafkaSettings kafka, String groupId, String policyName, EvaluationSpec spec, String device,
                              Path checkpointDir, Path reportDir, Path rewardModelDir) {

    private static final Pattern DEVICE_NAME = Pattern.compile("cpu|gpu|gpu:\\d+");

    static final Setting<String> GROUP_ID = Setting.string("evaluator.group.id", "odpo-evaluator",
                    "Consumer group of the evaluator; each group evaluates every announced checkpoint once.")
            .withValidator(v -> v.isBlank() ? "must not be blank" : null);
    public static final Setting<String> POLICY_NAME = Setting.string("evaluator.policy.name", "policy",
                    "The policy whose announced versions are evaluated (the key of its announcements on checkpoints).")
            .withValidator(PolicyNames::problem);
    public static final Setting<Integer> PROMPTS = Setting.integer("evaluator.prompts", 128, 1, 100_000,
            "Held-out prompts per evaluation: the first N of the task's EVAL split, the same for every version.");
    public static final Setting<Long> SEED = Setting.longValue("evaluator.seed", 1, Long.MIN_VALUE, Long.MAX_VALUE,
            "Seed of the sampled responses; every version (and pi0) meets the same random numbers.");
    public static final Setting<Double> TEMPERATURE = number("evaluator.temperature", "1.0",
            "Temperature of the sampled responses (the greedy ones are measured too); above 0.", false);
    public static final Setting<Integer> MAX_NEW_TOKENS = Setting.integer("evaluator.max.new.tokens", 64, 1, 100_000,
            "Longest response, in tokens.");
    public static final Setting<Integer> BATCH_SIZE = Setting.integer("evaluator.batch.size", 64, 1, 4096,
            "Prompts decoded together. Part of the measurement: it fixes which random numbers each prompt gets.");
    public static final Setting<Double> BETA = number("evaluator.beta", "0.1",
            "beta of the objective J = gold reward - beta * KL(pi || pi_ref); use the learner's DPO beta.", true);
    public static final Setting<String> DEVICE = Setting.string("evaluator.device", "cpu",
                    "Where the models run: cpu, gpu or gpu:N.")
            .withValidator(v -> DEVICE_NAME.matcher(v.trim().toLowerCase(Locale.ROOT)).matches() ? null
                    : "must be cpu, gpu or gpu:N");
    static final Setting<String> REPORT_DIR = Setting.string("evaluator.report.dir", "data/reports",
                    "The report (index.html and PNG plots) is written to <this>/<policy name>, rewritten after each version.")
            .withValidator(v -> v.isBlank() ? "must not be blank" : null);
    public static final Setting<String> REWARD_MODEL_DIR = Setting.string("evaluator.reward-model.dir", "",
            "The proxy reward model the loop optimizes (a Hugging Face *ForSequenceClassification directory); its mean "
                    + "score on the sampled responses is reported beside the gold reward. Empty = none.");

    /** The settings of the measurement: shared with {@code odpo evaluate} as its defaults. */
    public static final List<Setting<?>> SPEC_SETTINGS = List.of(PROMPTS, SEED, TEMPERATURE, MAX_NEW_TOKENS, BATCH_SIZE, BETA);

    /** Every setting the evaluator reads, for loading and for --help. */
    public static final List<Setting<?>> SETTINGS;

    static {
        List<Setting<?>> all = new ArrayList<>(KafkaSettings.SETTINGS);
        all.addAll(List.of(GROUP_ID, POLICY_NAME));
        all.addAll(SPEC_SETTINGS);
        all.add(DEVICE);
        all.addAll(CheckpointSettings.SETTINGS);
        all.addAll(List.of(REPORT_DIR, REWARD_MODEL_DIR));
        SETTINGS = List.copyOf(all);
    }

    /**
     * The typed configuration.
     *
     * @throws ConfigException when the reward model directory is not a model directory
     */
    public static EvaluatorConfig from(ConfigValues values) {
        String policy = values.get(POLICY_NAME).trim();
        String rm = values.get(REWARD_MODEL_DIR).trim();
        if (!rm.isEmpty() && !Files.isRegularFile(Path.of(rm).resolve("config.json"))) {
            throw new ConfigException(List.of("invalid value '" + rm + "' for setting '" + REWARD_MODEL_DIR.name()
                    + "' (from " + values.sourceOf(REWARD_MODEL_DIR) + "): not a model directory (no config.json)"));
        }
        return new EvaluatorConfig(KafkaSettings.from(values), values.get(GROUP_ID).trim(), policy, spec(values),
                values.get(DEVICE).trim().toLowerCase(Locale.ROOT), Path.of(values.get(CheckpointSettings.DIR).trim()),
                Path.of(values.get(REPORT_DIR).trim()).resolve(policy), rm.isEmpty() ? null : Path.of(rm));
    }

    /** The measurement the settings describe. */
    static EvaluationSpec spec(ConfigValues values) {
        return new EvaluationSpec(values.get(PROMPTS), values.get(SEED), values.get(TEMPERATURE),
                values.get(MAX_NEW_TOKENS), values.get(BATCH_SIZE), values.get(BETA));
    }

    /** The measurement with every setting at its default: what {@code odpo evaluate} does unless told otherwise. */
    public static EvaluationSpec defaultSpec() {
        return spec(ConfigValues.load(SPEC_SETTINGS, Map.of(), null));
    }

    /** The transactional id of this evaluator: one per group and policy. */
    String transactionalId() {
        return groupId + "-" + policyName;
    }

    private static Setting<Double> number(String name, String defaultValue, String description, boolean nonNegative) {
        return nonNegative ? Setting.number(name, defaultValue, v -> v >= 0, "must be >= 0", description)
                : Setting.number(name, defaultValue, v -> v > 0, "must be above 0", description);
    }
}

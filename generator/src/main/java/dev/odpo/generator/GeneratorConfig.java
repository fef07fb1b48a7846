package dev.odpo.generator;

import ai.djl.Device;
import dev.odpo.kafka.RecordCheck;
import dev.odpo.kafka.config.ConfigException;
import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.kafka.config.Setting;
import dev.odpo.model.SamplingOptions;
import dev.odpo.policy.CheckpointSettings;
import dev.odpo.policy.Devices;
import dev.odpo.policy.PolicyNames;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The generator's settings, read once at start and validated together: a bad value is a configuration
 * error naming the setting, never something a prompt can change later.
 *
 * @param kafka            where Kafka and the registry are; topic names and partitions
 * @param groupId          consumer group: generators in one group share the prompts' partitions
 * @param generatorId      this instance's id, written into each sample and used as its Kafka transactional id
 * @param maxPromptChars   prompts longer than this go to the dead-letter topic
 * @param policyName       the policy whose announced versions this generator follows
 * @param device           where the policy (and PILAF's reference) run
 * @param checkpointDir    the checkpoint store's root directory
 * @param batchSize        prompts per batch: one batched decode of batchSize × N rows, one transaction
 * @param sampling         N, decoding options, sampler, β and seed
 * @param progressInterval how often progress (prompts/s, samples/s, tokens/s, version, lag) is logged
 * @param rollout          whether a new version must pass its evaluation before it serves
 * @param dedupWindow      how many of the most recent distinct prompt ids are remembered to refuse duplicates
 */
public record GeneratorConfig(KafkaSettings kafka, String groupId, String generatorId, int maxPromptChars,
                              String policyName, Device device, Path checkpointDir, int batchSize,
                              SamplingPlan sampling, Duration progressInterval, Rollout rollout,
                              int dedupWindow) {

    /**
     * The rollout gate's settings.
     *
     * @param evalGate  adopt a new version only once its evaluation report is in and good enough
     * @param tolerance how far below the live version's gold reward a new version's may be
     */
    public record Rollout(boolean evalGate, double tolerance) {}

    static final Setting<String> GROUP_ID = Setting.string("generator.group.id", "odpo-generator",
                    "Consumer group of the generators; generators in one group share the prompts' partitions.")
            .withValidator(v -> v.isBlank() ? "must not be blank" : null);
    static final Setting<String> ID = Setting.string("generator.id", "",
            "This instance's id: written into every sample and used as its Kafka transactional id, so it must be "
                    + "stable across restarts of one instance and distinct between instances (a restarted instance "
                    + "fences its predecessor). Empty = 'generator-' + the host name.");
    static final Setting<Integer> MAX_PROMPT_CHARS = Setting.integer("generator.max.prompt.chars", 16_384, 1, 10_000_000,
            "Prompts with more characters than this go to the dead-letter topic.");
    static final Setting<String> POLICY = Setting.string("generator.policy", "policy",
                    "Name of the policy to sample from: the generator serves the newest announced version of it.")
            .withValidator(PolicyNames::problem);
    static final Setting<String> DEVICE = Setting.string("generator.device", "cpu",
            "Where the policy runs: cpu, gpu or gpu:N.");
    static final Setting<Integer> BATCH_SIZE = Setting.integer("generator.batch.size", 8, 1, 4096,
            "Prompts per batch: their N responses each are decoded together and committed in one transaction. "
                    + "Bounds memory: a burst of prompts waits in Kafka as consumer lag.");
    static final Setting<Integer> N = Setting.integer("generator.n", 8, 1, RecordCheck.MAX_GROUP_SIZE,
            "Responses per prompt (the group size). PILAF draws N/2 pairs, so N must be even.");
    static final Setting<Double> TEMPERATURE = Setting.number("generator.temperature", "1.0", t -> t > 0 && t <= 100,
            "must be > 0 and <= 100", "Sampling temperature (> 0): logits are divided by it before top-k and top-p.");
    static final Setting<Double> TOP_P = Setting.number("generator.top.p", "1.0", p -> p > 0 && p <= 1,
            "must be in (0, 1]", "Nucleus sampling: keep the most likely tokens holding this much probability (1 = off).");
    static final Setting<Integer> TOP_K = Setting.integer("generator.top.k", 0, 0, 1_000_000,
            "Keep only the k most likely tokens (0 = off).");
    static final Setting<Integer> MAX_NEW_TOKENS = Setting.integer("generator.max.new.tokens", 64, 1, 1_000_000,
            "Most tokens generated per response; a response cut here has finish reason 'length'.");
    static final Setting<List<String>> STOP_STRINGS = new Setting<>("generator.stop.strings",
            Setting.envVarFor("generator.stop.strings"), "list",
            GeneratorConfig::parseStopStrings, Setting.Validator.none(), "",
            "Comma-separated strings that end a response (finish reason 'stop'; the text is cut before it); write a "
                    + "newline as \\n, a tab as \\t, a comma as \\, and a backslash as \\\\. Empty = none.",
            false);
    static final Setting<Long> SEED = Setting.longValue("generator.seed", 0, Long.MIN_VALUE, Long.MAX_VALUE,
            "Seed of the sampling; mixed with each batch's position in the prompts topic, so a replayed batch draws "
                    + "the same responses.");
    static final Setting<String> SAMPLER = Setting.string("generator.sampler", "vanilla",
                    "vanilla (N samples from the policy) or pilaf (N/2 pairs, each from the policy or from PILAF's "
                            + "π⁺/π⁻ around the reference policy).")
            .withValidator(v -> problem(() -> SamplerChoice.parse(v)));
    static final Setting<Double> PILAF_BETA = Setting.number("generator.pilaf.beta", "0.1", b -> b >= 0 && b <= 100,
            "must be >= 0 and <= 100", "PILAF's β: π⁺ uses logits (1+β)·z_θ − β·z_ref, π⁻ (1−β)·z_θ + β·z_ref. "
                    + "Set it to the learner's DPO β.");
    static final Setting<Duration> PROGRESS_INTERVAL = Setting.duration("generator.progress.interval", "30s",
                    "How often the generator logs prompts/s, samples/s, tokens/s, the policy version and the lag.")
            .withValidator(d -> d.isZero() ? "must be positive" : null);

    static final Setting<String> ROLLOUT_GATE = Setting.string("rollout.gate", "none",
                    "none: serve each new verified version at once. eval: serve a new version only after the evaluator's "
                            + "report on it, and only if its gold reward is not below the live version's by more than "
                            + "rollout.gate.tolerance; a rejected version is logged and the live one keeps serving.")
            .withValidator(v -> List.of("none", "eval").contains(v.trim()) ? null : "must be none or eval");
    static final Setting<Double> ROLLOUT_TOLERANCE = Setting.number("rollout.gate.tolerance", "0.02", t -> t >= 0,
            "must be >= 0", "With rollout.gate=eval: how far below the live version's mean gold reward a new version's "
                    + "may be and still serve (the evaluator's own sampling noise; see its report).");

    static final Setting<Integer> DEDUP_WINDOW = Setting.integer("generator.dedup.window", 10_000, 0, 10_000_000,
            "A prompt whose prompt_id was sampled from another record among the last this many distinct prompt ids "
                    + "is dead-lettered as a duplicate, not sampled again (about 150 bytes each; per instance, "
                    + "since its start). 0 samples every record.");

    /** Every setting the generator reads, for loading and for --help. */
    public static final List<Setting<?>> SETTINGS;

    static {
        List<Setting<?>> all = new ArrayList<>(KafkaSettings.SETTINGS);
        all.addAll(CheckpointSettings.SETTINGS);
        all.addAll(List.of(GROUP_ID, ID, POLICY, DEVICE, N, SAMPLER, PILAF_BETA, TEMPERATURE, TOP_P,
                TOP_K, MAX_NEW_TOKENS, STOP_STRINGS, SEED, BATCH_SIZE, MAX_PROMPT_CHARS, PROGRESS_INTERVAL, ROLLOUT_GATE,
                ROLLOUT_TOLERANCE, DEDUP_WINDOW));
        SETTINGS = List.copyOf(all);
    }

    /**
     * The typed settings.
     *
     * @throws ConfigException naming the setting when a combination is invalid (PILAF with an odd N) or the
     *                         device does not exist
     */
    public static GeneratorConfig from(ConfigValues values) {
        List<String> problems = new ArrayList<>();
        SamplerChoice sampler = SamplerChoice.parse(values.get(SAMPLER));
        int n = values.get(N);
        if (sampler == SamplerChoice.PILAF && n % 2 != 0) {
            problems.add(N.name() + " must be even with " + SAMPLER.name() + "=pilaf (it draws N/2 pairs), got " + n
                    + " from " + values.sourceOf(N));
        }
        Device device = null;
        try {
            device = Devices.parse(values.get(DEVICE));
        } catch (IllegalArgumentException e) {
            problems.add(DEVICE.name() + ": " + e.getMessage() + " (from " + values.sourceOf(DEVICE) + ")");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        SamplingOptions options = new SamplingOptions(values.get(MAX_NEW_TOKENS), false, values.get(TEMPERATURE),
                values.get(TOP_K), values.get(TOP_P), values.get(STOP_STRINGS));
        SamplingPlan sampling = new SamplingPlan(n, options, sampler, values.get(PILAF_BETA), values.get(SEED));
        String id = values.get(ID).isBlank() ? "generator-" + hostName() : values.get(ID).trim();
        return new GeneratorConfig(KafkaSettings.from(values), values.get(GROUP_ID), id, values.get(MAX_PROMPT_CHARS),
                values.get(POLICY), device, Path.of(values.get(CheckpointSettings.DIR)), values.get(BATCH_SIZE), sampling,
                values.get(PROGRESS_INTERVAL),
                new Rollout(values.get(ROLLOUT_GATE).trim().equals("eval"), values.get(ROLLOUT_TOLERANCE)),
                values.get(DEDUP_WINDOW));
    }

    /** Splits at unescaped commas and resolves the escapes \\n, \\t, \\, and \\\\. */
    static List<String> parseStopStrings(String raw) {
        List<String> out = new ArrayList<>();
        StringBuilder item = new StringBuilder();
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '\\' && i + 1 < raw.length()) {
                char e = raw.charAt(++i);
                switch (e) {
                    case 'n' -> item.append('\n');
                    case 't' -> item.append('\t');
                    case ',', '\\' -> item.append(e);
                    default -> throw new IllegalArgumentException("unknown escape '\\" + e + "' (use \\n, \\t, \\, or \\\\)");
                }
            } else if (c == ',') {
                addStop(out, item);
            } else {
                item.append(c);
            }
        }
        addStop(out, item);
        return List.copyOf(out);
    }

    private static void addStop(List<String> out, StringBuilder item) {
        if (!item.isEmpty()) {
            out.add(item.toString());
        }
        item.setLength(0);
    }

    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            throw new ConfigException(ID.name() + " is empty and the host name is unknown (" + e.getMessage()
                    + "): set it explicitly");
        }
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

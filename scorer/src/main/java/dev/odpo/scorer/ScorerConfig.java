package dev.odpo.scorer;

import dev.odpo.events.ScorerKind;
import dev.odpo.kafka.config.ConfigException;
import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.kafka.config.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The scorer's settings, read once at start.
 *
 * @param kafka         where Kafka and the registry are; topic names and partitions
 * @param name          the scorer's name, written into every Score; the pair-builder's scorer list refers to it
 * @param reward        what the reward is made of
 * @param groupId       consumer group: scorers in one group share the samples' partitions
 * @param instanceId    this instance's Kafka transactional id
 * @param batchSize     samples per batch: judged together, committed in one transaction
 * @param fromBeginning rewind the group to the earliest retained sample at start, committed offsets or not
 * @param maxChars      prompt or response texts longer than this go to the dead-letter topic
 */
public record ScorerConfig(KafkaSettings kafka, String name, RewardSpec reward, String groupId, String instanceId,
                           int batchSize, boolean fromBeginning, int maxChars) {

    /**
     * What a scorer's reward is made of.
     *
     * @param components     the components, each once, in the order given
     * @param weights        each component's weight in reward = Σ weight·component
     * @param rewardModelDir a Hugging Face *ForSequenceClassification directory; null without a reward model
     * @param device         where the reward model runs: cpu, gpu or gpu:N
     * @param batchSize      the most samples in one reward-model forward pass
     * @param lambda         λ of the length penalty −λ·|response|
     * @param lengthUnit     how |response| is counted
     */
    public record RewardSpec(List<ComponentKind> components, Map<ComponentKind, Double> weights, Path rewardModelDir,
                             String device, int batchSize, double lambda, ResponseLength.Unit lengthUnit) {
        public RewardSpec {
            components = List.copyOf(components);
            weights = Map.copyOf(weights);
        }

        public boolean has(ComponentKind kind) {
            return components.contains(kind);
        }

        public double weight(ComponentKind kind) {
            return weights.getOrDefault(kind, 1.0);
        }

        /**
         * The Score's scorer_kind: a reward model decides whenever there is one (the pair-builder then labels
         * its pairs REWARD_MODEL), else a verifier, else the length penalty alone.
         */
        public ScorerKind kind() {
            return has(ComponentKind.REWARD_MODEL) ? ScorerKind.REWARD_MODEL
                    : has(ComponentKind.VERIFIER) ? ScorerKind.VERIFIER : ScorerKind.LENGTH_PENALTY;
        }

        /** The name a scorer gets when none is set: its components joined by '+'. */
        public String defaultName() {
            return String.join("+", components.stream().map(ComponentKind::id).toList());
        }
    }

    /** Scorer names end up in the pair-builder's comma-separated scorer list. */
    private static final Pattern NAME = Pattern.compile("[^\\s,*]*");
    private static final Pattern DEVICE = Pattern.compile("cpu|gpu|gpu:\\d+");

    static final Setting<String> NAME_SETTING = Setting.string("scorer.name", "",
                    "Name written into every Score (e.g. reward-model:rm-v2); the pair-builder's scorer list refers to "
                            + "it. Empty = the components joined by '+'. Give each scorer that runs side by side its own.")
            .withValidator(v -> NAME.matcher(v).matches() ? null : "must not contain spaces, commas or '*'");
    static final Setting<List<String>> COMPONENTS = Setting.list("scorer.components", "reward-model",
                    "What the reward is made of, comma-separated: reward-model, verifier, length-penalty; "
                            + "reward = Σ weight·component.")
            .withValidator(ScorerConfig::componentsProblem);
    static final Setting<String> REWARD_MODEL_DIR = Setting.string("scorer.reward-model.dir", "",
            "Hugging Face *ForSequenceClassification directory (config.json, *.safetensors, tokenizer files), e.g. "
                    + "the task's proxy reward model from 'odpo train-reward-model'. Required with reward-model.");
    static final Setting<Double> REWARD_MODEL_WEIGHT = weight(ComponentKind.REWARD_MODEL);
    static final Setting<String> DEVICE_SETTING = Setting.string("scorer.reward-model.device", "cpu",
                    "Where the reward model runs: cpu, gpu or gpu:N.")
            .withValidator(v -> DEVICE.matcher(v.trim().toLowerCase(Locale.ROOT)).matches() ? null
                    : "must be cpu, gpu or gpu:N");
    static final Setting<Integer> REWARD_MODEL_BATCH_SIZE = Setting.integer("scorer.reward-model.batch.size", 8, 1, 4096,
            "Samples per reward-model forward pass: a batch is scored in passes of samples of similar length (on a "
                    + "CPU, small passes are much faster than one large one; on a GPU, raise it).");
    static final Setting<Double> VERIFIER_WEIGHT = weight(ComponentKind.VERIFIER);
    static final Setting<Double> LENGTH_PENALTY_WEIGHT = weight(ComponentKind.LENGTH_PENALTY);
    static final Setting<Double> LAMBDA = number("scorer.length-penalty.lambda", "0",
            "λ in the length penalty −λ·|response| (RLHF Workflow, arXiv:2405.07863, eq. 8), per character or token; "
                    + "must be above 0 with length-penalty.", true);
    static final Setting<String> LENGTH_UNIT = Setting.string("scorer.length-penalty.unit", "chars",
                    "How |response| is counted: chars, or tokens (the reward model's tokenizer if the scorer has one, "
                            + "else the sample's response_token_ids).")
            .withValidator(v -> problem(() -> ResponseLength.Unit.parse(v)));
    static final Setting<String> GROUP_ID = Setting.string("scorer.group.id", "",
            "Consumer group; instances in one group share the samples' partitions. Empty = odpo-scorer-<scorer.name>, "
                    + "so scorers with different names each score every sample.");
    static final Setting<String> ID = Setting.string("scorer.id", "",
            "This instance's id, used as its Kafka transactional id: stable across restarts of one instance and "
                    + "distinct between instances (a restarted instance fences its predecessor). Empty = "
                    + "scorer-<scorer.name>-<host name>.");
    static final Setting<Boolean> FROM_BEGINNING = Setting.bool("scorer.from.beginning", false,
            "Rewind the group to the earliest retained sample at start, even where it has committed offsets: "
                    + "re-scores the whole history (the same as --from-beginning). Done only while no other member "
                    + "of the group runs. A new group starts at the earliest retained sample anyway, unless "
                    + "kafka.auto.offset.reset=latest.");
    static final Setting<Integer> BATCH_SIZE = Setting.integer("scorer.batch.size", 64, 1, 10_000,
            "Samples per batch: judged together, and their scores and consumed offsets committed in one Kafka "
                    + "transaction. Larger batches mean fewer transactions; bounds memory.");
    static final Setting<Integer> MAX_CHARS = Setting.integer("scorer.max.chars", 65_536, 1, 10_000_000,
            "Samples whose prompt or response has more characters than this go to the dead-letter topic.");

    /** Every setting the scorer reads, for loading and for --help. */
    public static final List<Setting<?>> SETTINGS;

    static {
        List<Setting<?>> all = new ArrayList<>(KafkaSettings.SETTINGS);
        all.addAll(List.of(NAME_SETTING, COMPONENTS, REWARD_MODEL_DIR, REWARD_MODEL_WEIGHT, DEVICE_SETTING,
                REWARD_MODEL_BATCH_SIZE, VERIFIER_WEIGHT, LENGTH_PENALTY_WEIGHT, LAMBDA, LENGTH_UNIT, GROUP_ID, ID,
                BATCH_SIZE, FROM_BEGINNING, MAX_CHARS));
        SETTINGS = List.copyOf(all);
    }

    /**
     * The typed configuration.
     *
     * @throws ConfigException naming each setting that is missing or contradicts another
     */
    public static ScorerConfig from(ConfigValues values) {
        List<ComponentKind> components = values.get(COMPONENTS).stream().map(ComponentKind::parse).toList();
        Map<ComponentKind, Double> weights = new EnumMap<>(ComponentKind.class);
        weights.put(ComponentKind.REWARD_MODEL, values.get(REWARD_MODEL_WEIGHT));
        weights.put(ComponentKind.VERIFIER, values.get(VERIFIER_WEIGHT));
        weights.put(ComponentKind.LENGTH_PENALTY, values.get(LENGTH_PENALTY_WEIGHT));
        String dir = values.get(REWARD_MODEL_DIR).trim();
        double lambda = values.get(LAMBDA);

        List<String> problems = new ArrayList<>();
        if (components.contains(ComponentKind.REWARD_MODEL)) {
            if (dir.isEmpty()) {
                problems.add("missing setting '" + REWARD_MODEL_DIR.name() + "' (" + REWARD_MODEL_DIR.envVar()
                        + "): required when " + COMPONENTS.name() + " includes reward-model");
            } else if (!Files.isRegularFile(Path.of(dir).resolve("config.json"))) {
                problems.add("invalid value '" + dir + "' for setting '" + REWARD_MODEL_DIR.name() + "' (from "
                        + values.sourceOf(REWARD_MODEL_DIR) + "): not a model directory (no config.json)");
            }
        }
        if (components.contains(ComponentKind.LENGTH_PENALTY) && lambda == 0) {
            problems.add("setting '" + LAMBDA.name() + "' (" + LAMBDA.envVar() + ") must be above 0 when "
                    + COMPONENTS.name() + " includes length-penalty");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        RewardSpec reward = new RewardSpec(components, weights,
                components.contains(ComponentKind.REWARD_MODEL) ? Path.of(dir) : null,
                values.get(DEVICE_SETTING).trim().toLowerCase(Locale.ROOT), values.get(REWARD_MODEL_BATCH_SIZE), lambda,
                ResponseLength.Unit.parse(values.get(LENGTH_UNIT)));
        String name = values.get(NAME_SETTING).isBlank() ? reward.defaultName() : values.get(NAME_SETTING).trim();
        String group = values.get(GROUP_ID).isBlank() ? defaultGroupId(name) : values.get(GROUP_ID).trim();
        String id = values.get(ID).isBlank() ? "scorer-" + name + "-" + hostName() : values.get(ID).trim();
        return new ScorerConfig(KafkaSettings.from(values), name, reward, group, id, values.get(BATCH_SIZE),
                values.get(FROM_BEGINNING), values.get(MAX_CHARS));
    }

    /** Each scorer name its own group, so scorers side by side each score every sample. */
    public static String defaultGroupId(String scorerName) {
        return "odpo-scorer-" + scorerName;
    }

    /** The same settings, rewinding to the earliest retained sample at start (--from-beginning). */
    public ScorerConfig rewoundToBeginning() {
        return new ScorerConfig(kafka, name, reward, groupId, instanceId, batchSize, true, maxChars);
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    private static Setting<Double> weight(ComponentKind kind) {
        String name = "scorer." + kind.id() + ".weight";
        return number(name, "1", "Weight of the " + kind.id() + " component in reward = Σ weight·component.", false);
    }

    private static Setting<Double> number(String name, String defaultValue, String description, boolean nonNegative) {
        return Setting.number(name, defaultValue, v -> !nonNegative || v >= 0, "must be >= 0", description);
    }

    private static String componentsProblem(List<String> names) {
        List<String> seen = new ArrayList<>();
        for (String n : names) {
            String p = problem(() -> ComponentKind.parse(n));
            if (p != null) {
                return p;
            }
            String id = ComponentKind.parse(n).id();
            if (seen.contains(id)) {
                return "names " + id + " twice";
            }
            seen.add(id);
        }
        return null;
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

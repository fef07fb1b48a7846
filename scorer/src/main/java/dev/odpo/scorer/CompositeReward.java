package dev.odpo.scorer;

import ai.djl.Device;
import dev.odpo.events.Sample;
import dev.odpo.kafka.config.ConfigException;
import dev.odpo.policy.Devices;
import dev.odpo.policy.ScoringModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A scorer's reward: reward = Σ weight·component over the components that apply to a sample. A component
 * that is skipped for a sample (a verifier without a reference answer) leaves the sum and is named in the
 * Score with its reason; a component that refuses a sample sends it to dead letters; a sample no component
 * applies to is refused too, since a reward of 0 would be a made-up judgement.
 */
public final class CompositeReward implements AutoCloseable {

    /** A component and the weight its value is multiplied by. */
    public record Weighted(RewardComponent component, double weight) {
        public Weighted {
            if (!Double.isFinite(weight)) {
                throw new IllegalArgumentException("weight of " + component.kind() + " must be finite, got " + weight);
            }
        }
    }

    private final List<Weighted> parts;
    private final ResponseLength length;

    /**
     * @param parts  at least one, each kind at most once
     * @param length counts the response tokens every Score carries
     */
    public CompositeReward(List<Weighted> parts, ResponseLength length) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a scorer needs at least one component");
        }
        if (parts.stream().map(p -> p.component().kind()).distinct().count() != parts.size()) {
            throw new IllegalArgumentException("each component may appear once: "
                    + parts.stream().map(p -> p.component().kind()).toList());
        }
        // Cheap components first: a sample they refuse never reaches the reward model.
        this.parts = parts.stream().sorted(Comparator.comparingInt(p -> cost(p.component().kind()))).toList();
        this.length = length;
    }

    /**
     * Builds the components a spec names, loading the reward model when there is one.
     *
     * @throws ConfigException naming the setting when the reward model or its device cannot be used
     */
    public static CompositeReward load(ScorerConfig.RewardSpec spec) {
        ScoringModel model = null;
        if (spec.has(ComponentKind.REWARD_MODEL)) {
            Device device;
            try {
                device = Devices.parse(spec.device());
            } catch (IllegalArgumentException e) {
                throw new ConfigException("setting '" + ScorerConfig.DEVICE_SETTING.name() + "': " + e.getMessage());
            }
            try {
                model = ScoringModel.load(spec.rewardModelDir(), device);
            } catch (IOException | RuntimeException e) {
                throw new ConfigException("setting '" + ScorerConfig.REWARD_MODEL_DIR.name() + "': cannot load a reward "
                        + "model from " + spec.rewardModelDir() + ": " + e.getMessage());
            }
        }
        ResponseLength length = new ResponseLength(model == null ? null : model.tokenizer());
        List<Weighted> parts = new ArrayList<>();
        for (ComponentKind kind : spec.components()) {
            RewardComponent component = switch (kind) {
                case REWARD_MODEL -> new RewardModelComponent(model, spec.batchSize());
                case VERIFIER -> new VerifierComponent();
                case LENGTH_PENALTY -> new LengthPenaltyComponent(spec.lambda(), spec.lengthUnit(), length);
            };
            parts.add(new Weighted(component, spec.weight(kind)));
        }
        return new CompositeReward(parts, length);
    }

    private static int cost(ComponentKind kind) {
        return kind == ComponentKind.REWARD_MODEL ? 1 : 0;
    }

    public List<Weighted> parts() {
        return parts;
    }

    /** One judgement per sample, in order. Samples are scored by each component as one batch. */
    public List<Judgement> judge(List<Sample> samples) {
        int n = samples.size();
        List<Map<String, Double>> values = new ArrayList<>(n);
        List<Map<String, String>> skipped = new ArrayList<>(n);
        String[] refused = new String[n];
        for (int i = 0; i < n; i++) {
            values.add(new LinkedHashMap<>());
            skipped.add(new LinkedHashMap<>());
        }
        for (Weighted part : parts) {
            List<Integer> open = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                if (refused[i] == null) {
                    open.add(i);
                }
            }
            if (open.isEmpty()) {
                break;
            }
            String name = part.component().kind().id();
            List<ComponentResult> results = part.component().score(open.stream().map(samples::get).toList());
            for (int j = 0; j < open.size(); j++) {
                int i = open.get(j);
                ComponentResult result = results.get(j);
                if (result instanceof ComponentResult.Value v) {
                    values.get(i).put(name, v.value());
                } else if (result instanceof ComponentResult.Skipped s) {
                    skipped.get(i).put(name, s.reason());
                } else if (result instanceof ComponentResult.Refused r) {
                    refused[i] = name + ": " + r.reason();
                }
            }
        }
        List<Judgement> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (refused[i] != null) {
                out.add(new Judgement.Refused(refused[i]));
            } else if (values.get(i).isEmpty()) {
                out.add(new Judgement.Refused("no component applies: " + skipped.get(i)));
            } else {
                OptionalInt tokens = length.tokens(samples.get(i));
                out.add(new Judgement.Scored(reward(values.get(i)), values.get(i), skipped.get(i),
                        tokens.isPresent() ? tokens.getAsInt() : null));
            }
        }
        return out;
    }

    /** Σ weight·component over the values present. */
    double reward(Map<String, Double> values) {
        double sum = 0;
        for (Weighted part : parts) {
            Double v = values.get(part.component().kind().id());
            if (v != null) {
                sum += part.weight() * v;
            }
        }
        return sum;
    }

    @Override
    public void close() {
        for (Weighted part : parts) {
            part.component().close();
        }
    }
}

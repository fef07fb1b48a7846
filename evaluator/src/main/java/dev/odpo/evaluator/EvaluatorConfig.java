package dev.odpo.evaluator;

import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.kafka.config.Setting;
import java.util.ArrayList;
import java.util.List;

/**
 * The evaluator's settings, read once at start.
 *
 * @param kafka   where Kafka and the registry are; topic names and partitions
 * @param groupId consumer group of the evaluator
 */
public record EvaluatorConfig(KafkaSettings kafka, String groupId) {

    static final Setting<String> GROUP_ID = Setting.string("evaluator.group.id", "odpo-evaluator",
                    "Consumer group of the evaluator; each group evaluates every announced checkpoint once.")
            .withValidator(v -> v.isBlank() ? "must not be blank" : null);

    /** Every setting the evaluator reads, for loading and for --help. */
    public static final List<Setting<?>> SETTINGS;

    static {
        List<Setting<?>> all = new ArrayList<>(KafkaSettings.SETTINGS);
        all.add(GROUP_ID);
        SETTINGS = List.copyOf(all);
    }

    public static EvaluatorConfig from(ConfigValues values) {
        return new EvaluatorConfig(KafkaSettings.from(values), values.get(GROUP_ID));
    }
}

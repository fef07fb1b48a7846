package dev.odpo.scorer;

import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.kafka.config.Setting;
import java.util.ArrayList;
import java.util.List;

/**
 * The scorer's settings, read once at start.
 *
 * @param kafka    where Kafka and the registry are; topic names and partitions
 * @param groupId  consumer group: scorers in one group share the samples' partitions
 * @param maxChars prompt or response texts longer than this go to the dead-letter topic
 */
public record ScorerConfig(KafkaSettings kafka, String groupId, int maxChars) {

    static final Setting<String> GROUP_ID = Setting.string("scorer.group.id", "odpo-scorer",
                    "Consumer group of the scorers; each group scores every sample once (one group per scorer kind).")
            .withValidator(v -> v.isBlank() ? "must not be blank" : null);
    static final Setting<Integer> MAX_CHARS = Setting.integer("scorer.max.chars", 65_536, 1, 10_000_000,
            "Samples whose prompt or response has more characters than this go to the dead-letter topic.");

    /** Every setting the scorer reads, for loading and for --help. */
    public static final List<Setting<?>> SETTINGS;

    static {
        List<Setting<?>> all = new ArrayList<>(KafkaSettings.SETTINGS);
        all.addAll(List.of(GROUP_ID, MAX_CHARS));
        SETTINGS = List.copyOf(all);
    }

    public static ScorerConfig from(ConfigValues values) {
        return new ScorerConfig(KafkaSettings.from(values), values.get(GROUP_ID), values.get(MAX_CHARS));
    }
}

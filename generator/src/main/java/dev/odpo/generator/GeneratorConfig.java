package dev.odpo.generator;

import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.kafka.config.Setting;
import java.util.ArrayList;
import java.util.List;

/**
 * The generator's settings, read once at start.
 *
 * @param kafka          where Kafka and the registry are; topic names and partitions
 * @param groupId        consumer group: generators in one group share the prompts' partitions
 * @param maxPromptChars prompts longer than this go to the dead-letter topic
 */
public record GeneratorConfig(KafkaSettings kafka, String groupId, int maxPromptChars) {

    static final Setting<String> GROUP_ID = Setting.string("generator.group.id", "odpo-generator",
                    "Consumer group of the generators; generators in one group share the prompts' partitions.")
            .withValidator(v -> v.isBlank() ? "must not be blank" : null);
    static final Setting<Integer> MAX_PROMPT_CHARS = Setting.integer("generator.max.prompt.chars", 16_384, 1, 10_000_000,
            "Prompts with more characters than this go to the dead-letter topic.");

    /** Every setting the generator reads, for loading and for --help. */
    public static final List<Setting<?>> SETTINGS;

    static {
        List<Setting<?>> all = new ArrayList<>(KafkaSettings.SETTINGS);
        all.addAll(List.of(GROUP_ID, MAX_PROMPT_CHARS));
        SETTINGS = List.copyOf(all);
    }

    public static GeneratorConfig from(ConfigValues values) {
        return new GeneratorConfig(KafkaSettings.from(values), values.get(GROUP_ID), values.get(MAX_PROMPT_CHARS));
    }
}

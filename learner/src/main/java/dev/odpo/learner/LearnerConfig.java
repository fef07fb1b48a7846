package dev.odpo.learner;

import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.kafka.config.Setting;
import java.util.ArrayList;
import java.util.List;

/**
 * The learner's settings, read once at start.
 *
 * @param kafka      where Kafka and the registry are; topic names and partitions
 * @param groupId    consumer group of the learner (one learner per policy)
 * @param policyName the policy this learner trains
 * @param maxChars   pairs whose prompt or responses are longer than this go to the dead-letter topic
 */
public record LearnerConfig(KafkaSettings kafka, String groupId, String policyName, int maxChars) {

    static final Setting<String> GROUP_ID = Setting.string("learner.group.id", "odpo-learner",
                    "Consumer group of the learner; its committed offsets mark the pairs already trained on.")
            .withValidator(v -> v.isBlank() ? "must not be blank" : null);
    static final Setting<String> POLICY_NAME = Setting.string("learner.policy.name", "policy",
                    "Name of the policy this learner trains; the key of its checkpoint announcements.")
            .withValidator(v -> v.isBlank() ? "must not be blank" : null);
    static final Setting<Integer> MAX_CHARS = Setting.integer("learner.max.chars", 65_536, 1, 10_000_000,
            "Pairs whose prompt or responses have more characters than this go to the dead-letter topic.");

    /** Every setting the learner reads, for loading and for --help. */
    public static final List<Setting<?>> SETTINGS;

    static {
        List<Setting<?>> all = new ArrayList<>(KafkaSettings.SETTINGS);
        all.addAll(List.of(GROUP_ID, POLICY_NAME, MAX_CHARS));
        SETTINGS = List.copyOf(all);
    }

    public static LearnerConfig from(ConfigValues values) {
        return new LearnerConfig(KafkaSettings.from(values), values.get(GROUP_ID), values.get(POLICY_NAME),
                values.get(MAX_CHARS));
    }
}

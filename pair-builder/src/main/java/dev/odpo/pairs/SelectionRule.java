package dev.odpo.pairs;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How a scored group of samples becomes preference pairs (papers/002 and papers/004). */
public enum SelectionRule {
    /** Best-of-n vs worst-of-n by reward: the online iterative DPO recipe of papers/002, section 3. */
    MAX_MIN("max-min"),
    /** Best-of-n vs one other sample drawn uniformly (deterministically seeded by the group id). */
    MAX_RANDOM("max-random"),
    /** PILAF (papers/004): pair the two samples that were drawn together (same pair_slot). */
    PILAF("pilaf");

    private final String configName;

    SelectionRule(String configName) {
        this.configName = configName;
    }

    /** The name used in settings and in PreferencePair.selection. */
    public String configName() {
        return configName;
    }

    /** Parses a setting value; fails loudly on anything unknown. */
    public static SelectionRule parse(String value) {
        for (SelectionRule rule : values()) {
            if (rule.configName.equalsIgnoreCase(value.trim())) {
                return rule;
            }
        }
        throw new IllegalArgumentException("unknown selection rule '" + value + "' (expected one of "
                + Arrays.stream(values()).map(SelectionRule::configName).collect(Collectors.joining(", ")) + ")");
    }

    @Override
    public String toString() {
        return configName;
    }
}

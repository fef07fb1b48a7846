package dev.odpo.policy;

import dev.odpo.kafka.config.Setting;
import java.util.List;

/** Where the checkpoint store is: shared by every service that publishes or adopts snapshots, and by the CLI. */
public final class CheckpointSettings {

    public static final Setting<String> DIR = Setting.string("checkpoint.dir", "data/checkpoints",
                    "Root directory of the checkpoint store: each snapshot is <dir>/<policy>/v<version>/. Everything "
                            + "that publishes or adopts snapshots must see the same directory (a shared volume in containers).")
            .withValidator(v -> v.isBlank() ? "must name a directory" : null);

    /** The settings, in the order --help lists them. */
    public static final List<Setting<?>> SETTINGS = List.of(DIR);

    private CheckpointSettings() {
    }
}

package dev.odpo.cli;

import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.CheckpointSettings;
import dev.odpo.policy.LocalCheckpointStore;
import dev.odpo.policy.PolicyNames;
import dev.odpo.policy.SnapshotException;
import dev.odpo.policy.SnapshotManifest;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Lists, verifies and publishes policy snapshots: what operators do by hand with the checkpoint store. */
@Command(name = "checkpoints", mixinStandardHelpOptions = true,
        description = {"Lists the policy versions announced on the checkpoints topic, verifies a snapshot directory "
                + "against its manifest, and publishes a model directory as a policy's next version.",
                "Start a loop from pi0:  odpo checkpoints publish --model data/models/pi0-<hash> --policy pi "
                        + "--reference-version 0",
                "Roll back to v3:        odpo checkpoints publish --model data/checkpoints/pi/v00000003 --policy pi"},
        subcommands = {CheckpointsCommand.ListVersions.class, CheckpointsCommand.Verify.class, PublishCheckpointCommand.class})
public final class CheckpointsCommand implements Runnable {

    /** How long to wait for the checkpoints topic to be read to its end. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Where the checkpoint store is; the same setting the services read. */
    static final class StoreOption {
        @Option(names = "--checkpoint-dir", paramLabel = "DIR",
                description = "Root of the checkpoint store (default: ODPO_CHECKPOINT_DIR, checkpoint.dir in --config, "
                        + "or data/checkpoints).")
        Path dir;

        /** The store: the option, else the setting from the environment or {@code configFile}, else its default. */
        LocalCheckpointStore open(Path configFile) throws IOException {
            Path root = dir != null ? dir : Path.of(ConfigValues.load(CheckpointSettings.SETTINGS, System.getenv(),
                    configFile, false).get(CheckpointSettings.DIR));
            return new LocalCheckpointStore(root);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"Shows the announced versions of each policy, newest first: parent, reference, step, pairs "
                    + "trained, when it was written, and whether its snapshot verifies (every file matches the "
                    + "announced manifest). Snapshots in the store that were never announced are listed after them."})
    static final class ListVersions implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        KafkaOptions kafka;
        @Mixin
        StoreOption store;

        @Option(names = "--policy", paramLabel = "NAME", description = "Only this policy.")
        String policy;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (policy != null && PolicyNames.problem(policy) != null) {
                err.println("odpo checkpoints list: --policy: " + PolicyNames.problem(policy));
                return 2;
            }
            KafkaSettings settings = kafka.settings();
            LocalCheckpointStore checkpoints = store.open(kafka.configFile());
            List<CheckpointAnnouncement> all = Announcements.readAll(settings, READ_TIMEOUT);
            Set<String> names = new TreeSet<>(Announcements.newestByPolicy(all).keySet());
            names.addAll(checkpoints.policies());
            if (policy != null) {
                names.retainAll(Set.of(policy));
            }
            if (names.isEmpty()) {
                out.println("no snapshots announced on " + settings.topics().checkpoints().name()
                        + (policy == null ? "" : " for " + policy) + " nor stored in " + checkpoints.root());
                return 0;
            }
            out.printf("%-16s %8s %8s %9s %8s %10s  %-20s  %s%n", "POLICY", "VERSION", "PARENT", "REFERENCE", "STEP",
                    "PAIRS", "CREATED", "SNAPSHOT");
            for (String name : names) {
                List<CheckpointAnnouncement> versions = Announcements.versions(all, name);
                Set<Long> announced = new TreeSet<>();
                for (CheckpointAnnouncement a : versions) {
                    announced.add(a.getVersion());
                    List<String> problems = problems(checkpoints, a);
                    row(out, name, a.getVersion(), a.getParentVersion(), a.getReferenceVersion(), a.getStep(),
                            a.getPairsTrained(), a.getCreatedAt(), problems.isEmpty() ? "ok" : "REFUSED");
                    problems.forEach(p -> out.println("    " + p));
                }
                for (SnapshotManifest m : checkpoints.list(name)) {
                    if (!announced.contains(m.version())) {
                        row(out, name, m.version(), m.parentVersion(), m.referenceVersion(), m.step(), m.pairsTrained(),
                                m.createdAt(), "stored, never announced");
                    }
                }
            }
            return 0;
        }

        /** Why the announced snapshot cannot be adopted; empty when it verifies. */
        static List<String> problems(LocalCheckpointStore store, CheckpointAnnouncement a) throws IOException {
            try {
                Announcements.open(store, a);
                return List.of();
            } catch (SnapshotException e) {
                return e.problems();
            }
        }

        static void row(PrintWriter out, String name, long version, Long parent, Long reference, long step, long pairs,
                        Instant created, String state) {
            out.printf("%-16s %8d %8s %9s %8d %10d  %-20s  %s%n", name, version, orDash(parent), orDash(reference),
                    step, pairs, created.truncatedTo(ChronoUnit.SECONDS), state);
        }

        static String orDash(Long v) {
            return v == null ? "-" : v.toString();
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Checks that every file of a snapshot directory matches its manifest.json (size and sha256). "
                    + "Exits 0 when all do, 1 with one line per bad file otherwise, 2 when there is no such directory.",
                    "Works on store snapshots and on the pi0 and proxy reward model caches alike."})
    static final class Verify implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR|URI", description = "A snapshot directory, or its file: URI as announced.")
        String target;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Path dir;
            try {
                dir = target.startsWith("file:") ? Path.of(URI.create(target)) : Path.of(target);
            } catch (IllegalArgumentException e) {
                err.println("odpo checkpoints verify: not a directory or file: URI: " + target);
                return 2;
            }
            if (!Files.isDirectory(dir)) {
                err.println("odpo checkpoints verify: no such directory: " + dir);
                return 2;
            }
            List<String> problems = SnapshotManifest.verify(dir);
            if (!problems.isEmpty()) {
                problems.forEach(p -> out.println(dir + ": " + p));
                err.println("odpo checkpoints verify: " + problems.size() + " bad file" + (problems.size() == 1 ? "" : "s")
                        + " in " + dir);
                return 1;
            }
            SnapshotManifest m = SnapshotManifest.read(dir);
            out.printf("%s: ok, %d files match %s (%s v%d, manifest sha256 %s)%n", dir, m.files().size(),
                    SnapshotManifest.FILE_NAME, m.policyName(), m.version(),
                    SnapshotManifest.sha256(Files.readAllBytes(dir.resolve(SnapshotManifest.FILE_NAME))));
            return 0;
        }
    }
}

package dev.odpo.cli;

import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.model.LlamaConfig;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.CheckpointStore;
import dev.odpo.policy.LocalCheckpointStore;
import dev.odpo.policy.Policy;
import dev.odpo.policy.PolicyNames;
import dev.odpo.policy.Snapshot;
import dev.odpo.policy.SnapshotManifest;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Stores a model directory as a policy's next version and announces it. Re-publishing an older version's
 * directory is how an operator rolls back: the old weights become live again under a new, higher version, so
 * every follower adopts them the way it adopts a newly trained one.
 */
@Command(name = "publish", mixinStandardHelpOptions = true,
        description = {"Copies a Hugging Face model directory (pi0, a downloaded model, an older snapshot) into the "
                + "checkpoint store as the policy's next version (newest announced + 1, or 0), with its manifest, and "
                + "announces it on the checkpoints topic. Its parent is the newest announced version.",
                "An older snapshot's step and pairs trained are kept; its manifest.json is written afresh."})
final class PublishCheckpointCommand implements Callable<Integer> {

    /** The files of a Hugging Face model directory that a snapshot holds, besides its *.safetensors. */
    static final List<String> MODEL_FILES = List.of("config.json", "model.safetensors.index.json",
            "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "chat_template.jinja");

    @Spec
    CommandSpec spec;
    @Mixin
    KafkaOptions kafka;
    @Mixin
    CheckpointsCommand.StoreOption store;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The model directory in Hugging Face format.")
    Path model;

    @Option(names = "--policy", required = true, paramLabel = "NAME", description = "The policy's name (the announcements' key).")
    String policy;

    @Option(names = "--reference-version", paramLabel = "V",
            description = "The version used as pi_ref: an announced version, or the one being published (default: none).")
    Long referenceVersion;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String bad = badInput();
        if (bad != null) {
            err.println("odpo checkpoints publish: " + bad);
            return 2;
        }
        Optional<SnapshotManifest> source = Files.isRegularFile(model.resolve(SnapshotManifest.FILE_NAME))
                ? Optional.of(SnapshotManifest.read(model)) : Optional.empty();

        KafkaSettings settings = kafka.settings();
        if (settings.createTopics()) {
            try (TopicAdmin admin = TopicAdmin.create(settings)) {
                admin.createMissing(settings.topics().all());
            }
        }
        LocalCheckpointStore checkpoints = store.open(kafka.configFile());
        List<CheckpointAnnouncement> versions = Announcements.versions(
                Announcements.readAll(settings, CheckpointsCommand.READ_TIMEOUT), policy);
        Long parent = versions.isEmpty() ? null : versions.get(0).getVersion();
        long next = parent == null ? 0 : parent + 1;

        String referenceUri = null;
        if (referenceVersion != null) {
            if (referenceVersion == next) {
                referenceUri = checkpoints.uriOf(policy, next);
            } else {
                Optional<CheckpointAnnouncement> ref = versions.stream()
                        .filter(a -> a.getVersion() == referenceVersion).findFirst();
                if (ref.isEmpty()) {
                    err.println("odpo checkpoints publish: --reference-version " + referenceVersion + " is not an announced "
                            + "version of " + policy + " (announced: " + announced(versions) + "; this one will be " + next + ")");
                    return 2;
                }
                referenceUri = ref.get().getUri();
            }
        }
        if (Files.isDirectory(checkpoints.dirOf(policy, next))
                && Files.isSameFile(model, checkpoints.dirOf(policy, next))) {
            err.println("odpo checkpoints publish: " + model + " is the never-announced v" + next + " that this publish "
                    + "replaces; copy it elsewhere first");
            return 2;
        }

        // A rollback keeps its training progress; a model from elsewhere (pi0, a download) starts at zero.
        boolean ownVersion = source.isPresent() && source.get().policyName().equals(policy);
        long step = ownVersion ? source.get().step() : 0;
        long pairs = ownVersion ? source.get().pairsTrained() : 0;
        Snapshot snapshot = checkpoints.publish(new CheckpointStore.Request(policy, next, parent, referenceVersion, step,
                pairs, dir -> copyModelFiles(model, dir)));
        CheckpointAnnouncement announcement = Announcements.of(snapshot, referenceUri, null);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings.rawProducer("odpo-checkpoints"))) {
            Announcements.announce(producer, settings.topics().checkpoints(), announcement);
        }
        out.printf("published %s v%d (parent %s, reference %s, %d files) at %s, manifest sha256 %s%n", policy, next,
                parent == null ? "none" : "v" + parent, referenceVersion == null ? "none" : "v" + referenceVersion,
                snapshot.manifest().files().size(), snapshot.uri(), snapshot.sha256());
        return 0;
    }

    /** What is wrong with the options, in one line; null when nothing is. */
    String badInput() throws IOException {
        String name = PolicyNames.problem(policy);
        if (name != null) {
            return "--policy: " + name;
        }
        if (referenceVersion != null && referenceVersion < 0) {
            return "--reference-version must be >= 0, got " + referenceVersion;
        }
        try {
            Policy.requireModelDir(model);
        } catch (java.nio.file.NoSuchFileException e) {
            return "--model: no such directory: " + model;
        } catch (IllegalArgumentException e) {
            return "--model: " + e.getMessage();
        }
        // an older snapshot is republished only while intact
        if (Files.isRegularFile(model.resolve(SnapshotManifest.FILE_NAME))) {
            List<String> problems = SnapshotManifest.verify(model);
            if (!problems.isEmpty()) {
                return "--model: " + model + " does not match its " + SnapshotManifest.FILE_NAME + ": "
                        + String.join("; ", problems);
            }
        }
        if (weightFiles(model).isEmpty()) {
            return "--model: " + model + " has no *.safetensors weights";
        }
        LlamaConfig config;
        try {
            config = LlamaConfig.read(model);
        } catch (IOException e) {
            return "--model: " + e.getMessage().lines().findFirst().orElse("unreadable config.json");
        }
        if (config.isRewardModel()) {
            return "--model: " + model + " holds a reward model (" + config.architecture() + "), not a policy";
        }
        return null;
    }

    /** Copies the model's Hugging Face files (not an old manifest or anything else lying there) into {@code to}. */
    static void copyModelFiles(Path from, Path to) throws IOException {
        List<Path> files = new ArrayList<>(weightFiles(from));
        for (String name : MODEL_FILES) {
            if (Files.isRegularFile(from.resolve(name))) {
                files.add(from.resolve(name));
            }
        }
        for (Path f : files) {
            Files.copy(f, to.resolve(f.getFileName()));
        }
    }

    static List<Path> weightFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(p))
                    .sorted().toList();
        }
    }

    static String announced(List<CheckpointAnnouncement> versions) {
        List<String> out = new ArrayList<>();
        for (int i = versions.size() - 1; i >= 0; i--) {
            out.add(Long.toString(versions.get(i).getVersion()));
        }
        return out.isEmpty() ? "none" : String.join(", ", out);
    }
}

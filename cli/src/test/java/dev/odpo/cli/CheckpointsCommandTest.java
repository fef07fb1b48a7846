package dev.odpo.cli;

import static dev.odpo.cli.CliRoundTripTest.concat;
import static dev.odpo.cli.CliRoundTripTest.odpo;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.model.LlamaConfig;
import dev.odpo.model.LlamaModel;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.CheckpointStore;
import dev.odpo.policy.LocalCheckpointStore;
import dev.odpo.policy.SnapshotManifest;
import dev.odpo.task.TaskTokenizer;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** `odpo checkpoints` as an operator uses it: start a policy from π0, list, verify, roll back; bad input refused. */
class CheckpointsCommandTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @TempDir
    static Path models;
    static Path pi0;
    static Path other;

    @TempDir
    Path tmp;
    Path store;

    @BeforeAll
    static void writeTinyModels() throws IOException {
        pi0 = tinyModel(models.resolve("pi0"), 1);
        other = tinyModel(models.resolve("other"), 2);
        // what a π0 cache also holds, and a snapshot's manifest: neither is a model file to publish
        Files.writeString(pi0.resolve("odpo-sft.json"), "{}");
    }

    static Path tinyModel(Path dir, long seed) throws IOException {
        LlamaConfig config = LlamaConfig.tiny(TaskTokenizer.vocabSize(), 16, 1, 2, 1)
                .withSpecialTokens(TaskTokenizer.BOS_ID, List.of(TaskTokenizer.EOS_ID), TaskTokenizer.PAD_ID);
        try (LlamaModel m = LlamaModel.random(config, Device.cpu(), seed)) {
            m.save(dir);
        }
        TaskTokenizer.write(dir);
        return dir;
    }

    String[] kafka(String... args) {
        return concat(new String[] {"--bootstrap-servers", KAFKA.bootstrapServers(), "--registry-url", KAFKA.registryUrl(),
                "--checkpoint-dir", store.toString()}, args);
    }

    static List<CheckpointAnnouncement> announcements(String policy) {
        return Announcements.versions(Announcements.readAll(
                KafkaSettings.local(KAFKA.bootstrapServers(), KAFKA.registryUrl()), Duration.ofSeconds(30)), policy);
    }

    /** The rows of `odpo checkpoints list` for one policy, split into columns. */
    static List<String[]> rows(CliRoundTripTest.Result list, String policy) {
        return Arrays.stream(list.out().split("\n")).filter(l -> l.startsWith(policy + " "))
                .map(l -> l.trim().split("\\s+", 8)).toList();
    }

    @Test
    void aPolicyStartsFromPi0IsListedVerifiedAndRolledBack() throws IOException {
        store = tmp.resolve("checkpoints");

        // When an operator publishes π0 as the first version of "alpha", its own reference.
        CliRoundTripTest.Result first = odpo(kafka("checkpoints", "publish", "--model", pi0.toString(), "--policy", "alpha",
                "--reference-version", "0"));

        // Then it is v0, stored with the model's files only, and announced with the manifest's hash.
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.out()).contains("published alpha v0");
        LocalCheckpointStore checkpoints = new LocalCheckpointStore(store);
        Path v0 = checkpoints.dirOf("alpha", 0);
        List<String> modelFiles = files(pi0).stream().filter(f -> !f.equals("odpo-sft.json")).toList();
        assertThat(modelFiles).contains("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json");
        assertThat(files(v0)).containsExactlyInAnyOrderElementsOf(
                Stream.concat(modelFiles.stream(), Stream.of(SnapshotManifest.FILE_NAME)).toList());
        assertThat(Files.readAllBytes(v0.resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(pi0.resolve("model.safetensors")));
        CheckpointAnnouncement a0 = announcements("alpha").get(0);
        assertThat(a0.getVersion()).isZero();
        assertThat(a0.getParentVersion()).isNull();
        assertThat(a0.getReferenceVersion()).isZero();
        assertThat(a0.getReferenceUri()).isEqualTo(a0.getUri());
        assertThat(checkpoints.open(a0.getUri(), a0.getSha256()).dir()).isEqualTo(v0);

        // When a trained model follows, and then the operator rolls back by re-publishing v0's directory.
        assertThat(odpo(kafka("checkpoints", "publish", "--model", other.toString(), "--policy", "alpha",
                "--reference-version", "0")).code()).isZero();
        CliRoundTripTest.Result rollback = odpo(kafka("checkpoints", "publish", "--model", v0.toString(), "--policy", "alpha"));

        // Then v0's weights are live again as v2, whose parent is v1.
        assertThat(rollback.code()).as(rollback.err()).isZero();
        List<CheckpointAnnouncement> versions = announcements("alpha");
        assertThat(versions).extracting(CheckpointAnnouncement::getVersion).containsExactly(2L, 1L, 0L);
        CheckpointAnnouncement a2 = versions.get(0);
        assertThat(a2.getParentVersion()).isEqualTo(1L);
        assertThat(a2.getReferenceVersion()).isNull();
        Path v2 = checkpoints.open(a2.getUri(), a2.getSha256()).dir();
        assertThat(Files.readAllBytes(v2.resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(pi0.resolve("model.safetensors")));
        assertThat(versions.get(1).getReferenceUri()).isEqualTo(a0.getUri());

        // And a version written to the store but never announced (a publisher that died) shows as such.
        checkpoints.publish(new CheckpointStore.Request("alpha", 3, 2L, null, 0, 0,
                dir -> PublishCheckpointCommand.copyModelFiles(other, dir)));

        // When the versions are listed: newest first, with lineage, and each verifies.
        CliRoundTripTest.Result list = odpo(kafka("checkpoints", "list", "--policy", "alpha"));
        assertThat(list.code()).as(list.err()).isZero();
        List<String[]> rows = rows(list, "alpha");
        assertThat(rows).extracting(r -> r[1]).containsExactly("2", "1", "0", "3");
        assertThat(rows.get(0)).startsWith("alpha", "2", "1", "-");
        assertThat(rows.get(1)).startsWith("alpha", "1", "0", "0");
        assertThat(rows.get(2)).startsWith("alpha", "0", "-", "0");
        assertThat(rows).extracting(r -> r[7]).containsExactly("ok", "ok", "ok", "stored, never announced");

        // When v1's weights are damaged on disk.
        flipLastByte(checkpoints.dirOf("alpha", 1).resolve("model.safetensors"));

        // Then list says v1 is refused and names the file; verify fails naming it; the others still verify.
        CliRoundTripTest.Result damaged = odpo(kafka("checkpoints", "list", "--policy", "alpha"));
        assertThat(rows(damaged, "alpha")).extracting(r -> r[7]).containsExactly("ok", "REFUSED", "ok", "stored, never announced");
        assertThat(damaged.out()).containsPattern("\n\\s+model\\.safetensors: ");
        CliRoundTripTest.Result verify = odpo("checkpoints", "verify", versions.get(1).getUri());
        assertThat(verify.code()).isEqualTo(1);
        assertThat(List.of(verify.out().strip().split("\n"))).singleElement().satisfies(l -> assertThat(l).contains("model.safetensors"));
        CliRoundTripTest.Result ok = odpo("checkpoints", "verify", v0.toString());
        assertThat(ok.code()).as(ok.out() + ok.err()).isZero();
        assertThat(ok.out()).contains("ok");
    }

    @Test
    void verifyNamesEachBadFile() throws IOException {
        store = tmp.resolve("checkpoints");
        LocalCheckpointStore checkpoints = new LocalCheckpointStore(store);
        Path dir = checkpoints.publish(new CheckpointStore.Request("beta", 0, null, null, 0, 0,
                d -> PublishCheckpointCommand.copyModelFiles(pi0, d))).dir();
        assertThat(odpo("checkpoints", "verify", dir.toString()).code()).isZero();

        flipLastByte(dir.resolve("model.safetensors"));
        Files.delete(dir.resolve("tokenizer.json"));
        CliRoundTripTest.Result r = odpo("checkpoints", "verify", dir.toUri().toString());

        assertThat(r.code()).isEqualTo(1);
        List<String> lines = List.of(r.out().strip().split("\n"));
        assertThat(lines).hasSize(2);
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("model.safetensors"));
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("tokenizer.json"));

        // a directory without a manifest cannot be verified either
        CliRoundTripTest.Result none = odpo("checkpoints", "verify", pi0.toString());
        assertThat(none.code()).isEqualTo(1);
        assertThat(none.out()).contains(SnapshotManifest.FILE_NAME);
    }

    @Test
    void badInputIsAOneLineErrorWithExitCodeTwo() throws IOException {
        store = tmp.resolve("checkpoints");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Path noWeights = Files.createDirectories(tmp.resolve("no-weights"));
        Files.copy(pi0.resolve("config.json"), noWeights.resolve("config.json"));
        Files.copy(pi0.resolve("tokenizer.json"), noWeights.resolve("tokenizer.json"));
        Path tampered = tmp.resolve("tampered");
        new LocalCheckpointStore(tmp.resolve("elsewhere")).publish(new CheckpointStore.Request("gamma", 0, null, null, 0, 0,
                d -> PublishCheckpointCommand.copyModelFiles(pi0, d)));
        Files.move(tmp.resolve("elsewhere/gamma/v00000000"), tampered);
        flipLastByte(tampered.resolve("config.json"));

        for (String[] args : List.of(
                kafka("checkpoints", "publish", "--model", tmp.resolve("missing").toString(), "--policy", "gamma"),
                kafka("checkpoints", "publish", "--model", empty.toString(), "--policy", "gamma"),
                kafka("checkpoints", "publish", "--model", noWeights.toString(), "--policy", "gamma"),
                kafka("checkpoints", "publish", "--model", tampered.toString(), "--policy", "gamma"),
                kafka("checkpoints", "publish", "--model", pi0.toString(), "--policy", "../gamma"),
                kafka("checkpoints", "publish", "--model", pi0.toString(), "--policy", "gamma", "--reference-version", "4"),
                kafka("checkpoints", "list", "--policy", "no/such"),
                new String[] {"checkpoints", "verify", tmp.resolve("missing").toString()})) {
            CliRoundTripTest.Result r = odpo(args);
            assertThat(r.code()).as(String.join(" ", args) + "\n" + r.err()).isEqualTo(2);
            assertThat(r.err().strip()).as(String.join(" ", args)).doesNotContain("\n").startsWith("odpo checkpoints");
        }
        // nothing was published or announced for the refused policy
        assertThat(new LocalCheckpointStore(store).list("gamma")).isEmpty();
        assertThat(announcements("gamma")).isEmpty();
    }

    @Test
    void everySubcommandHasHelp() {
        for (String[] cmd : new String[][] {{"checkpoints", "--help"}, {"checkpoints", "list", "--help"},
                {"checkpoints", "verify", "--help"}, {"checkpoints", "publish", "--help"}}) {
            CliRoundTripTest.Result r = odpo(cmd);
            assertThat(r.code()).as(String.join(" ", cmd)).isZero();
            assertThat(r.out()).contains("Usage: odpo checkpoints");
        }
        assertThat(odpo("checkpoints", "publish", "--help").out()).contains("--checkpoint-dir", "--reference-version");
    }

    static void flipLastByte(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long at = f.length() - 2;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x01);
        }
    }

    static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }
}

package dev.odpo.generator;

import ai.djl.Device;
import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.kafka.Topic;
import dev.odpo.model.LlamaConfig;
import dev.odpo.model.LlamaModel;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.CheckpointStore;
import dev.odpo.policy.Snapshot;
import dev.odpo.task.TaskTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.kafka.clients.producer.Producer;

/**
 * Tiny random task policies (the task's character tokenizer and chat template, 2 layers of width 32): each
 * seed gives different weights, so versions are told apart by their samples. Loaded in well under a second.
 */
final class TinyPolicies {

    /** The model's context: short, so an over-long prompt is easy to write. */
    static final int CONTEXT = 128;

    private TinyPolicies() {
    }

    static LlamaConfig config() {
        return new LlamaConfig("LlamaForCausalLM", TaskTokenizer.vocabSize(), 32, 64, 2, 4, 2, 8, 1e-6, 10000.0, 1.0,
                CONTEXT, true, false, 0, TaskTokenizer.BOS_ID, List.of(TaskTokenizer.EOS_ID), TaskTokenizer.PAD_ID);
    }

    /** Writes a Hugging Face directory: config.json, model.safetensors and the task tokenizer. */
    static void write(Path dir, long seed) throws IOException {
        try (LlamaModel model = LlamaModel.random(config(), Device.cpu(), seed)) {
            model.save(dir);
        }
        TaskTokenizer.write(dir);
    }

    /** Publishes version {@code version} of {@code policy} (weights seeded by the version) into the store. */
    static Snapshot publish(CheckpointStore store, String policy, long version, Long referenceVersion) throws IOException {
        return store.publish(new CheckpointStore.Request(policy, version, version == 0 ? null : version - 1,
                referenceVersion, version * 10, version * 100, dir -> write(dir, 1000 + version)));
    }

    /** Publishes and announces; returns the announcement. */
    static CheckpointAnnouncement publishAndAnnounce(CheckpointStore store, Producer<byte[], byte[]> producer,
                                                     Topic<String, CheckpointAnnouncement> topic, String policy,
                                                     long version, Long referenceVersion) throws IOException {
        Snapshot s = publish(store, policy, version, referenceVersion);
        String referenceUri = referenceVersion == null ? null : store.uriOf(policy, referenceVersion);
        CheckpointAnnouncement a = Announcements.of(s, referenceUri, "test");
        Announcements.announce(producer, topic, a);
        return a;
    }
}

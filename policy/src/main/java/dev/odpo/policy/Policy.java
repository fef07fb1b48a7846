package dev.odpo.policy;

import ai.djl.Device;
import dev.odpo.model.Decoder;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One version of a policy, loaded and ready to sample or train: the decoder's weights and its tokenizer
 * from a Hugging Face directory, the one {@link PromptEncoding} for its prompts, and where it came from.
 * Closing it frees the native memory of the weights.
 *
 * @param name     the policy's name (the key of its announcements on {@code checkpoints})
 * @param version  the snapshot version; -1 for a directory that was never published
 * @param dir      the Hugging Face directory it was loaded from
 */
public record Policy(String name, long version, Path dir, LlamaModel model, TextTokenizer tokenizer,
                     PromptEncoding encoding) implements AutoCloseable {

    /** Version of a model directory that is not a published snapshot. */
    public static final long UNPUBLISHED = -1;

    /**
     * Loads a causal language model directory ({@code config.json}, {@code *.safetensors},
     * {@code tokenizer.json}, {@code tokenizer_config.json}).
     *
     * @throws IOException              when the directory is missing or unreadable
     * @throws IllegalArgumentException when it is not a Llama-family causal LM (e.g. a reward model)
     */
    public static Policy load(Path dir, String name, long version, Device device) throws IOException {
        requireModelDir(dir);
        LlamaModel model = LlamaModel.load(dir, device);
        try {
            if (model.config().isRewardModel()) {
                throw new IllegalArgumentException(dir + " holds a reward model (" + model.config().architecture()
                        + "), not a policy");
            }
            TextTokenizer tokenizer = TextTokenizer.load(dir);
            return new Policy(name, version, dir, model, tokenizer, PromptEncoding.of(tokenizer));
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** A directory that is not a published snapshot (π0 on disk, a downloaded model). */
    public static Policy load(Path dir, Device device) throws IOException {
        return load(dir, dir.getFileName() == null ? "model" : dir.getFileName().toString(), UNPUBLISHED, device);
    }

    /** The batched KV-cache decoder over this policy alone. */
    public Decoder decoder() {
        return new Decoder(model, tokenizer);
    }

    /** "name v3", or the directory for an unpublished model: for logs. */
    public String label() {
        return version == UNPUBLISHED ? dir.toString() : name + " v" + version;
    }

    /** Fails with a one-line reason when {@code dir} cannot be a Hugging Face model directory. */
    public static void requireModelDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new java.nio.file.NoSuchFileException(dir.toString(), null, "no such model directory");
        }
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new IllegalArgumentException(dir + " is not a Hugging Face model directory: it has no config.json");
        }
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException(dir + " has no tokenizer.json (the model's tokenizer is needed)");
        }
    }

    @Override
    public void close() {
        try {
            tokenizer.close();
        } finally {
            model.close();
        }
    }
}

package dev.odpo.task;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The task's tokenizer, written as a Hugging Face tokenizer.json so every service (and HF
 * transformers) loads it like any other model's: a character-level vocabulary — a BPE model with no
 * merges, so each character is one token — plus special tokens. Ids are fixed:
 *
 * <pre>
 *   0 &lt;pad&gt;  1 &lt;bos&gt;  2 &lt;eos&gt;  3 &lt;unk&gt;  4 &lt;|user|&gt;  5 &lt;|assistant|&gt;  6 "\n"  7.. printable ASCII ' '..'~'
 * </pre>
 *
 * The chat template renders {@code <bos><|user|>{prompt}\n<|assistant|>{response}<eos>}; no post-processor
 * adds tokens, so encode the rendered template without adding special tokens.
 */
public final class TaskTokenizer {
    public static final String PAD = "<pad>";
    public static final String BOS = "<bos>";
    public static final String EOS = "<eos>";
    public static final String UNK = "<unk>";
    public static final String USER = "<|user|>";
    public static final String ASSISTANT = "<|assistant|>";
    public static final int PAD_ID = 0;
    public static final int BOS_ID = 1;
    public static final int EOS_ID = 2;
    public static final int UNK_ID = 3;

    /** Jinja chat template, in the tokenizer_config.json convention of HF transformers. */
    public static final String CHAT_TEMPLATE = "{{ bos_token }}{% for message in messages %}"
            + "{% if message['role'] == 'system' %}{{ message['content'] }}\n"
            + "{% elif message['role'] == 'user' %}" + USER + "{{ message['content'] }}\n"
            + "{% elif message['role'] == 'assistant' %}" + ASSISTANT + "{{ message['content'] }}{{ eos_token }}"
            + "{% endif %}{% endfor %}{% if add_generation_prompt %}" + ASSISTANT + "{% endif %}";

    private static final List<String> SPECIALS = List.of(PAD, BOS, EOS, UNK, USER, ASSISTANT);

    private TaskTokenizer() {
    }

    /** Every token in id order. */
    public static List<String> vocabulary() {
        List<String> v = new ArrayList<>(SPECIALS);
        v.add("\n");
        for (char c = ' '; c <= '~'; c++) {
            v.add(String.valueOf(c));
        }
        return v;
    }

    public static int vocabSize() {
        return vocabulary().size();
    }

    /** The text the chat template renders for a prompt, ready for the assistant's answer. */
    public static String renderPrompt(String userMessage) {
        return BOS + USER + userMessage + "\n" + ASSISTANT;
    }

    /** Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into {@code dir}. */
    public static void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        List<String> vocab = vocabulary();

        ObjectNode tok = json.createObjectNode();
        tok.put("version", "1.0");
        tok.putNull("truncation");
        tok.putNull("padding");
        ArrayNode added = tok.putArray("added_tokens");
        for (int id = 0; id < SPECIALS.size(); id++) {
            added.addObject().put("id", id).put("content", SPECIALS.get(id)).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        tok.putNull("normalizer");
        tok.putNull("pre_tokenizer");
        ObjectNode model = tok.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", UNK);
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode v = model.putObject("vocab");
        for (int id = 0; id < vocab.size(); id++) {
            v.put(vocab.get(id), id);
        }
        model.putArray("merges");
        tok.putNull("post_processor");
        tok.putObject("decoder").put("type", "Fuse");
        json.writeValue(dir.resolve("tokenizer.json").toFile(), tok);

        ObjectNode cfg = json.createObjectNode();
        cfg.put("tokenizer_class", "PreTrainedTokenizerFast");
        cfg.put("bos_token", BOS);
        cfg.put("eos_token", EOS);
        cfg.put("pad_token", PAD);
        cfg.put("unk_token", UNK);
        cfg.put("add_bos_token", false);
        cfg.put("add_eos_token", false);
        cfg.put("model_max_length", 256);
        cfg.put("clean_up_tokenization_spaces", false);
        cfg.put("chat_template", CHAT_TEMPLATE);
        json.writeValue(dir.resolve("tokenizer_config.json").toFile(), cfg);

        ObjectNode map = json.createObjectNode();
        map.put("bos_token", BOS).put("eos_token", EOS).put("pad_token", PAD).put("unk_token", UNK);
        json.writeValue(dir.resolve("special_tokens_map.json").toFile(), map);
    }
}

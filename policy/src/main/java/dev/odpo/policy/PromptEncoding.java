package dev.odpo.policy;

import dev.odpo.model.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The one rule for turning a prompt (and a response) into token ids, used wherever a prompt is encoded:
 * generation, log-probs, training, reward scoring and evaluation. A model trained on one encoding and
 * scored on another sees inputs it never saw, so there is exactly one.
 *
 * <ul>
 *   <li>With a chat template: the prompt is one user message (after an optional system message), rendered
 *       with the generation prompt added and encoded <em>without</em> an extra BOS — templates write their
 *       own, as Hugging Face's {@code apply_chat_template(tokenize=True)} assumes.</li>
 *   <li>Without one: the raw text, encoded with a BOS when the tokenizer's config asks for one
 *       ({@code add_bos_token}); an empty raw prompt becomes the lone BOS.</li>
 *   <li>A response: its text without BOS, followed by EOS — what a model learns to end with.</li>
 * </ul>
 */
public final class PromptEncoding {

    private final TextTokenizer tokenizer;
    private final boolean chat;

    private PromptEncoding(TextTokenizer tokenizer, boolean chat) {
        this.tokenizer = tokenizer;
        this.chat = chat;
    }

    /** The model's own rule: the chat template when its tokenizer config has one, else raw text. */
    public static PromptEncoding of(TextTokenizer tokenizer) {
        return new PromptEncoding(tokenizer, tokenizer.hasChatTemplate());
    }

    /** Forces the chat template on or off (e.g. {@code odpo generate --no-chat}). */
    public static PromptEncoding of(TextTokenizer tokenizer, boolean chat) {
        return new PromptEncoding(tokenizer, chat);
    }

    public boolean usesChatTemplate() {
        return chat;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** Ids of a prompt that is one user message. */
    public int[] prompt(String userMessage) {
        return prompt(null, userMessage);
    }

    /** Ids of a prompt with an optional system message (null or blank: none). */
    public int[] prompt(String system, String userMessage) {
        int[] ids;
        if (chat) {
            List<TextTokenizer.Message> messages = new ArrayList<>(2);
            if (system != null && !system.isBlank()) {
                messages.add(new TextTokenizer.Message("system", system));
            }
            messages.add(new TextTokenizer.Message("user", userMessage));
            ids = tokenizer.encode(tokenizer.applyChatTemplate(messages, true), false);
        } else {
            String text = system == null || system.isBlank() ? userMessage : system + "\n\n" + userMessage;
            ids = tokenizer.encode(text);
        }
        if (ids.length == 0 && tokenizer.bosId() >= 0) {
            ids = new int[] {tokenizer.bosId()};
        }
        if (ids.length == 0) {
            throw new IllegalArgumentException("the prompt encodes to no tokens and the tokenizer has no BOS token");
        }
        return ids;
    }

    /** Ids of a response: its text without BOS, then EOS (when the tokenizer has one). */
    public int[] response(String response) {
        int[] ids = tokenizer.encode(response, false);
        if (tokenizer.eosId() < 0) {
            return ids;
        }
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = tokenizer.eosId();
        return out;
    }

    /** prompt ++ response, e.g. a reward model's input or a training sequence. */
    public int[] sequence(String userMessage, String response) {
        return concat(prompt(userMessage), response(response));
    }

    /** prompt ++ response ids. */
    public static int[] concat(int[] prompt, int[] response) {
        int[] out = Arrays.copyOf(prompt, prompt.length + response.length);
        System.arraycopy(response, 0, out, prompt.length, response.length);
        return out;
    }
}

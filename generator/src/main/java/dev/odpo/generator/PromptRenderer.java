package dev.odpo.generator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.odpo.events.Prompt;
import dev.odpo.policy.Policy;
import dev.odpo.policy.PromptEncoding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a prompt into the token ids one policy version decodes from — through the policy's one
 * {@link PromptEncoding} — or says why that prompt cannot be served by it:
 * <ul>
 *   <li>chat markup in the message: a special token of the model's tokenizer (a role marker such as
 *       {@code <|assistant|>}, BOS, EOS) inside the text or the system message would let a prompt forge turns
 *       of roles it does not have; the {@code text} field is a plain user message;</li>
 *   <li>the model's chat template refuses the messages (e.g. a template without a system role raises);</li>
 *   <li>the prompt, with the most tokens a response may take, does not fit the model's context.</li>
 * </ul>
 * One renderer belongs to one loaded policy version; it runs on the serving thread.
 */
final class PromptRenderer {

    /** The ids to decode from, or the reason the prompt is refused (then ids is null). */
    record Rendered(int[] ids, String problem) {
        static Rendered refused(String problem) {
            return new Rendered(null, problem);
        }

        boolean ok() {
            return problem == null;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PromptEncoding encoding;
    private final List<String> specialTokens;
    private final int contextLength;
    private final int maxNewTokens;

    PromptRenderer(PromptEncoding encoding, List<String> specialTokens, int contextLength, int maxNewTokens) {
        this.encoding = encoding;
        this.specialTokens = List.copyOf(specialTokens);
        this.contextLength = contextLength;
        this.maxNewTokens = maxNewTokens;
    }

    /** The renderer of a loaded policy: its encoding, its tokenizer's special tokens, its context length. */
    static PromptRenderer of(Policy policy, int maxNewTokens) throws IOException {
        return new PromptRenderer(policy.encoding(), specialTokens(policy.dir()), policy.model().config().maxPositions(),
                maxNewTokens);
    }

    Rendered render(Prompt prompt) {
        String text = prompt.getText();
        String system = prompt.getSystem();
        String markup = markupIn(text);
        if (markup == null && system != null) {
            markup = markupIn(system);
        }
        if (markup != null) {
            return Rendered.refused("chat markup in the prompt: the special token '" + markup + "' of the model's "
                    + "tokenizer (send the plain message; roles come from the prompt's fields)");
        }
        int[] ids;
        try {
            ids = encoding.prompt(system, text);
        } catch (RuntimeException e) {
            return Rendered.refused("the prompt cannot be encoded: " + e.getMessage());
        }
        String fallback = encoding.tokenizer().chatTemplateFallbackReason();
        if (encoding.usesChatTemplate() && fallback != null) {
            return Rendered.refused("the model's chat template refused the messages ("
                    + (system == null || system.isBlank() ? "user" : "system, user") + "): " + fallback);
        }
        if (ids.length + maxNewTokens > contextLength) {
            return Rendered.refused("prompt too long: " + ids.length + " tokens, and with up to " + maxNewTokens
                    + " new tokens that exceeds the model's context of " + contextLength + " positions");
        }
        return new Rendered(ids, null);
    }

    private String markupIn(String s) {
        for (String token : specialTokens) {
            if (s.contains(token)) {
                return token;
            }
        }
        return null;
    }

    /** The special added tokens of a Hugging Face {@code tokenizer.json} (role markers, BOS, EOS, ...). */
    static List<String> specialTokens(Path modelDir) throws IOException {
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (JsonNode t : JSON.readTree(file.toFile()).path("added_tokens")) {
            String content = t.path("content").asText("");
            if (t.path("special").asBoolean(false) && !content.isEmpty()) {
                out.add(content);
            }
        }
        return out;
    }
}

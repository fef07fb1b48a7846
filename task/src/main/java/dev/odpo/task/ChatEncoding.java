package dev.odpo.task;

import dev.odpo.model.TextTokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * Prompt and response token ids the way every service builds them: the prompt rendered with the
 * tokenizer's chat template (generation prompt added), the response followed by EOS.
 */
public final class ChatEncoding {
    private ChatEncoding() {
    }

    public static int[] prompt(TextTokenizer tok, String userMessage) {
        return tok.encode(tok.applyChatTemplate(List.of(new TextTokenizer.Message("user", userMessage)), true));
    }

    public static int[] response(TextTokenizer tok, String response) {
        int[] ids = tok.encode(response);
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = tok.eosId();
        return out;
    }

    /** prompt ++ response, e.g. a reward model's input. */
    public static int[] sequence(TextTokenizer tok, String userMessage, String response) {
        int[] p = prompt(tok, userMessage);
        int[] r = response(tok, response);
        int[] out = Arrays.copyOf(p, p.length + r.length);
        System.arraycopy(r, 0, out, p.length, r.length);
        return out;
    }
}

package dev.odpo.model;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A Hugging Face chat template (Jinja), rendered with Jinjava as {@code apply_chat_template} renders it:
 * {@code trim_blocks} and {@code lstrip_blocks}, {@code raise_exception(msg)} aborting the render.
 *
 * <p>Jinjava's own entry point copies its whole global context (every filter, function, test and tag, a few
 * hundred entries) for each render, which cost more than the rendering itself. Here one copy is made, each
 * render runs in a child context of it, and the copy is reset afterwards as Jinjava resets its global
 * context (a render records what it resolved in every parent). The services also render the same messages
 * many times — the scorer once per response of a group, the evaluator the same held-out prompts for every
 * version — so the last {@value #KEPT} renders are kept.
 */
final class ChatTemplate {

    /** A render's text, or why the template failed (then {@code text} is null). */
    record Rendered(String text, String failure) {
    }

    private record Key(List<TextTokenizer.Message> messages, boolean addGenerationPrompt) {
    }

    /** Renders kept: bounded, so a service's memory does not grow with the prompts it has seen. */
    static final int KEPT = 512;

    // HF renders with trim_blocks and lstrip_blocks; Jinjava's lstrip also eats spaces before a tag in
    // mid-line, so strip only line-leading whitespace before {% / {# here, as Jinja does.
    private static final Pattern LINE_LEADING_BLANKS = Pattern.compile("(?m)^[ \\t]+(?=\\{[%#](?!\\+))");

    private final String template;
    private final String bosToken;
    private final String eosToken;
    private Jinjava jinja;
    private Context globals;
    private final Map<Key, Rendered> kept = new LinkedHashMap<>(KEPT * 4 / 3 + 1, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Rendered> eldest) {
            return size() > KEPT;
        }
    };

    ChatTemplate(String template, String bosToken, String eosToken) {
        this.template = LINE_LEADING_BLANKS.matcher(template).replaceAll("");
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
    }

    /** Renders {@code messages}; the same messages again come from the kept renders. */
    synchronized Rendered render(List<TextTokenizer.Message> messages, boolean addGenerationPrompt) {
        Key key = new Key(List.copyOf(messages), addGenerationPrompt);
        Rendered r = kept.get(key);
        if (r == null) {
            r = renderNow(key);
            kept.put(key, r);
        }
        return r;
    }

    /** How many renders are kept now. */
    synchronized int kept() {
        return kept.size();
    }

    private Rendered renderNow(Key key) {
        List<Map<String, Object>> msgs = new ArrayList<>();
        for (TextTokenizer.Message m : key.messages()) {
            msgs.add(Map.of("role", m.role(), "content", m.content()));
        }
        Map<String, Object> bindings = new HashMap<>();
        bindings.put("messages", msgs);
        bindings.put("add_generation_prompt", key.addGenerationPrompt());
        bindings.put("bos_token", bosToken);
        bindings.put("eos_token", eosToken);
        build();
        JinjavaInterpreter interpreter = new JinjavaInterpreter(jinja, new Context(globals, bindings,
                jinja.getGlobalConfig().getDisabled()), jinja.getGlobalConfig());
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            String out = interpreter.render(template);
            for (TemplateError e : interpreter.getErrorsCopy()) {
                if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                    return new Rendered(null, messageOf(e));
                }
            }
            return new Rendered(out, null);
        } catch (RuntimeException e) {
            return new Rendered(null, e.getMessage());
        } finally {
            JinjavaInterpreter.popCurrent();
            globals.reset();
        }
    }

    /** The template's own words where it raised (raise_exception), else Jinjava's message. */
    private static String messageOf(TemplateError e) {
        for (Throwable t = e.getException(); t != null; t = t.getCause()) {
            if (t instanceof IllegalArgumentException && t.getMessage() != null
                    && t.getMessage().startsWith(TextTokenizer.RAISED)) {
                return e.getMessage() + ": " + t.getMessage().substring(TextTokenizer.RAISED.length());
            }
        }
        return e.getMessage();
    }

    /** The engine and one copy of its global context, built on first use. */
    private void build() {
        if (jinja != null) {
            return;
        }
        jinja = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(false)
                .withFailOnUnknownTokens(false).build());
        jinja.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                TextTokenizer.class, "raiseException", String.class));
        Context source = jinja.getGlobalContext();
        globals = new Context(null, source);
        source.getAllExpTests().forEach(globals::registerExpTest);
        source.getAllFilters().forEach(globals::registerFilter);
        source.getAllFunctions().forEach(globals::registerFunction);
        source.getAllTags().forEach(globals::registerTag);
        globals.setAutoEscape(source.isAutoEscape());
        globals.setDynamicVariableResolver(source.getDynamicVariableResolver());
    }
}

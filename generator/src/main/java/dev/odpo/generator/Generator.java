package dev.odpo.generator;

import dev.odpo.events.Prompt;
import dev.odpo.kafka.ConsumerLoop;
import dev.odpo.kafka.RecordCheck;
import dev.odpo.kafka.LoopService;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the generator's loop: consumes prompts, dead-letters the ones it cannot use (undecodable, missing
 * id, empty or oversized text) and logs each valid prompt. Sampling responses with the current policy is
 * added by the generation issue; until then the generator only consumes and validates.
 */
public final class Generator implements LoopService {

    private static final Logger log = LoggerFactory.getLogger(Generator.class);
    static final String SERVICE = "generator";

    private final ConsumerLoop<String, Prompt> loop;

    private Generator(ConsumerLoop<String, Prompt> loop) {
        this.loop = loop;
    }

    public static Generator create(GeneratorConfig config) {
        return new Generator(ConsumerLoop.forService(SERVICE, config.kafka(), config.kafka().topics().prompts(),
                config.groupId(), (key, prompt) -> problems(key, prompt, config.maxPromptChars()), Generator::accept));
    }

    /** What makes a prompt unusable; empty when it is fine. */
    static List<String> problems(String key, Prompt prompt, int maxPromptChars) {
        return new RecordCheck.Problems()
                .id("prompt_id", prompt.getPromptId())
                .keyMatches(key, "prompt_id", prompt.getPromptId())
                .text("text", prompt.getText(), maxPromptChars)
                .list();
    }

    private static void accept(ConsumerRecord<String, Prompt> record) {
        Prompt p = record.value();
        log.info("prompt {} ({} chars{}) from {}[{}]@{}", p.getPromptId(), p.getText().length(),
                p.getTask() == null ? "" : ", task " + p.getTask(), record.topic(), record.partition(), record.offset());
    }

    @Override
    public ConsumerLoop<String, Prompt> loop() {
        return loop;
    }
}

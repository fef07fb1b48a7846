package dev.odpo.cli;

import dev.odpo.events.Prompt;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.config.KafkaSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Publishes prompts from a JSONL file to the prompts topic, as production traffic would. */
@Command(name = "prompts", mixinStandardHelpOptions = true,
        description = {"Publishes the prompts in a JSONL file to the prompts topic, keyed by prompt_id, in Avro "
                + "through the schema registry — exactly as an application sending production traffic would.",
                "Each line is a JSON object: {\"text\": \"...\"} plus optional prompt_id (default: a fresh UUID), "
                        + "system, task, reference_answer, source, metadata (object of strings).",
                "Bad lines are reported with their line number and skipped; the rest are published."})
public final class PromptsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Parameters(index = "0", paramLabel = "FILE", description = "The JSONL file; '-' reads standard input.")
    String file;

    @Option(names = "--no-progress", description = "No progress bar (there is none anyway when output is not a terminal).")
    boolean noProgress;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!file.equals("-") && !Files.isRegularFile(Path.of(file))) {
            err.println("odpo prompts: no such file: " + file);
            return 2;
        }
        KafkaSettings settings = kafka.settings();
        Topic<String, Prompt> topic = settings.topics().prompts();
        if (settings.createTopics()) {
            try (TopicAdmin admin = TopicAdmin.create(settings)) {
                admin.createMissing(settings.topics().all());
            }
        }
        long total = file.equals("-") ? -1 : countLines(Path.of(file));
        int published = 0;
        int bad = 0;
        AtomicReference<Exception> sendFailure = new AtomicReference<>();
        try (BufferedReader in = open(file);
             KafkaProducer<String, Prompt> producer = new KafkaProducer<>(settings.rawProducer("odpo-prompts"),
                     topic.keySerde().serializer(), topic.valueSerde().serializer());
             ProgressBar bar = progressBar(total)) {
            String line;
            int lineNo = 0;
            Future<RecordMetadata> last = null;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (bar != null) {
                    bar.step();
                }
                if (line.isBlank()) {
                    continue;
                }
                Prompt prompt;
                try {
                    prompt = PromptLines.parse(line, "odpo prompts " + file);
                } catch (PromptLines.BadLine e) {
                    err.printf("%s:%d: %s%n", file, lineNo, e.getMessage());
                    bad++;
                    continue;
                }
                last = producer.send(new ProducerRecord<>(topic.name(), prompt.getPromptId(), prompt), (md, ex) -> {
                    if (ex != null) {
                        sendFailure.compareAndSet(null, ex);
                    }
                });
                published++;
            }
            producer.flush();
            if (last != null) {
                try {
                    last.get();
                } catch (ExecutionException e) {
                    sendFailure.compareAndSet(null, e);
                }
            }
        }
        if (sendFailure.get() != null) {
            err.println("odpo prompts: publishing failed: " + sendFailure.get().getMessage());
            return 1;
        }
        out.printf("published %d prompt%s to %s%s%n", published, published == 1 ? "" : "s", topic.name(),
                bad == 0 ? "" : " (" + bad + " bad line" + (bad == 1 ? "" : "s") + " skipped, see above)");
        return 0;
    }

    private static BufferedReader open(String file) throws IOException {
        if (file.equals("-")) {
            return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        }
        return Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
    }

    private static long countLines(Path path) throws IOException {
        try (var lines = Files.lines(path, StandardCharsets.UTF_8)) {
            return lines.count();
        }
    }

    /** A progress bar on stderr when a person is watching; none in pipes and tests. */
    private ProgressBar progressBar(long total) {
        if (noProgress || System.console() == null || total < 0) {
            return null;
        }
        return new ProgressBarBuilder().setTaskName("prompts").setInitialMax(total).setUnit(" lines", 1)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
    }
}

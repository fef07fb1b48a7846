package dev.odpo.cli;

import ai.djl.Device;
import dev.odpo.model.Generation;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.SamplingOptions;
import dev.odpo.model.TextTokenizer;
import dev.odpo.policy.Devices;
import dev.odpo.policy.Policy;
import dev.odpo.policy.PromptEncoding;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Try a checkpoint: π0, a published snapshot, or any Hugging Face Llama/Qwen2/SmolLM directory. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Loads a Hugging Face model directory (config.json, model.safetensors, tokenizer.json) and "
                + "prints the completion of each --prompt. Greedy unless --temperature > 0.",
                "Example: odpo generate --model ~/models/SmolLM2-135M-Instruct --prompt 'What is Kafka?' "
                        + "--max-new-tokens 64 --temperature 0.7 --top-p 0.9 --seed 1"})
public final class GenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "Model directory in Hugging Face format.")
    Path model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT",
            description = "Prompt text; repeat for a batch (generated together).")
    List<String> prompts;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64",
            description = "Most tokens to generate per prompt (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0",
            description = "Sampling temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0",
            description = "Sample among the K most likely tokens; 0 = off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1.0",
            description = "Nucleus sampling mass; 1 = off (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", paramLabel = "N",
            description = "Random seed for sampling (default: random, printed so the run can be repeated).")
    Long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop when the completion contains TEXT; repeatable.")
    List<String> stops = new ArrayList<>();

    @Option(names = "--chat", negatable = true,
            description = "Wrap each prompt as a user message in the model's chat template "
                    + "(default: when tokenizer_config.json has one).")
    Boolean chat;

    @Option(names = "--device", paramLabel = "cpu|gpu", defaultValue = "cpu",
            description = "Where to run: cpu, or gpu when DJL's PyTorch engine has a CUDA library (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (maxNewTokens <= 0) {
            err.println("odpo generate: --max-new-tokens must be > 0, got " + maxNewTokens);
            return 2;
        }
        if (temperature < 0 || topK < 0 || !(topP > 0 && topP <= 1)) {
            err.println("odpo generate: need --temperature >= 0, --top-k >= 0 and 0 < --top-p <= 1");
            return 2;
        }
        Device dev;
        try {
            dev = Devices.parse(device);
        } catch (IllegalArgumentException e) {
            err.println("odpo generate: --device: " + e.getMessage());
            return 2;
        }
        long s = seed != null ? seed : new Random().nextLong();
        SamplingOptions options = (temperature == 0
                ? SamplingOptions.greedy(maxNewTokens)
                : SamplingOptions.sampled(maxNewTokens, temperature, topK, topP)).withStopStrings(stops);
        err.println("loading " + model + " ...");
        long t0 = System.nanoTime();
        try (Policy policy = Policy.load(model, dev)) {
            LlamaModel m = policy.model();
            TextTokenizer tok = policy.tokenizer();
            PromptEncoding encoding = chat != null ? PromptEncoding.of(tok, chat) : policy.encoding();
            boolean useChat = encoding.usesChatTemplate();
            err.printf("loaded %s (%,d parameters) in %.1f s; %s, %s, seed %d%n", m.config().architecture(),
                    m.config().parameterCount(), (System.nanoTime() - t0) / 1e9,
                    useChat ? "chat template" : "raw prompt", temperature == 0 ? "greedy" : "sampled", s);
            long t1 = System.nanoTime();
            List<Generation> gens;
            // a progress bar on stderr when a person is watching; none in pipes and tests
            try (ProgressBar bar = System.console() == null ? null : new ProgressBarBuilder().setTaskName("tokens")
                    .setInitialMax(maxNewTokens).setConsumer(new ConsoleProgressBarConsumer(System.err)).build()) {
                gens = policy.decoder().generate(prompts.stream().map(encoding::prompt).toList(), options, new Random(s),
                        bar == null ? null : bar::stepTo);
            }
            double secs = (System.nanoTime() - t1) / 1e9;
            if (useChat && tok.chatTemplateFallbackReason() != null) {
                err.println("note: plain 'role: content' prompt used: " + tok.chatTemplateFallbackReason());
            }
            int tokens = 0;
            for (int i = 0; i < gens.size(); i++) {
                Generation g = gens.get(i);
                tokens += g.tokens().length;
                out.println(gens.size() > 1 ? "[" + (i + 1) + "] " + g.text() : g.text());
                err.printf("[%d] %d tokens, finish: %s, log-prob %.2f%n", i + 1, g.tokens().length,
                        g.finishReason(), g.logProb());
            }
            err.printf("generated %d tokens in %.1f s (%.1f tokens/s)%n", tokens, secs, tokens / secs);
            out.flush();
        }
        return 0;
    }
}

package dev.odpo.cli;

import dev.odpo.cli.monitor.LiveMonitor;
import dev.odpo.cli.monitor.LoopObserver;
import dev.odpo.cli.monitor.LoopState;
import dev.odpo.cli.monitor.TerminalView;
import dev.odpo.generator.Generator;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.policy.AtomicDirectory;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.LocalCheckpointStore;
import dev.odpo.task.ConsoleProgress;
import dev.odpo.task.TaskRewardModel;
import dev.odpo.task.WarmStart;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The whole loop on one machine: an embedded broker and registry, the built-in task's π0 and proxy reward
 * model (trained on first use, then cached), π0 published as version 0, the task's RL prompts streamed as
 * production traffic, and the five services in this process — until enough versions are evaluated.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs online DPO end to end on the built-in task, on this machine, and shows the policy "
                + "getting better on held-out prompts.",
                "Starts a Kafka broker and schema registry, trains (or reuses) the warm-start policy pi0 and the proxy "
                        + "reward model, publishes pi0 as version 0, streams prompts, and runs the generator, scorer, "
                        + "pair-builder, learner and evaluator until --versions versions are evaluated or --minutes "
                        + "pass. Then prints the evaluation table and where the report is. Running it again resumes; "
                        + "--fresh starts over (the cached pi0 and reward model are kept)."})
public final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--data-dir", defaultValue = "data", paramLabel = "DIR",
            description = "Where the cached models live; the demo's broker, snapshots and report go in DIR/demo "
                    + "(default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--fresh", description = "Start over: delete DIR/demo (topics, snapshots, reports) first.")
    boolean fresh;

    @Option(names = "--versions", defaultValue = "6", paramLabel = "N",
            description = "Stop once version N is evaluated (default: ${DEFAULT-VALUE}).")
    int versions;

    @Option(names = "--minutes", defaultValue = "15", paramLabel = "M",
            description = "Stop after M minutes of looping, whatever the versions (default: ${DEFAULT-VALUE}).")
    double minutes;

    @Option(names = "--sampler", defaultValue = "vanilla", paramLabel = "vanilla|pilaf",
            description = "How the generator samples (default: ${DEFAULT-VALUE}).")
    String sampler;

    @Option(names = "--loss", defaultValue = "sigmoid", paramLabel = "sigmoid|ipo|hinge",
            description = "DPO (sigmoid), IPO or SLiC (hinge) (default: ${DEFAULT-VALUE}).")
    String loss;

    @Option(names = "--reference", defaultValue = "initial", paramLabel = "initial|previous",
            description = "pi_ref: pi0 throughout, or the previous version (default: ${DEFAULT-VALUE}: the KL anchor "
                    + "stays at pi0, which keeps a learned proxy reward from pulling the policy away step by step).")
    String reference;

    @Option(names = "--mode", defaultValue = "online", paramLabel = "online|iterative",
            description = "A step per minibatch as pairs arrive, or rounds of epochs over gathered pairs "
                    + "(default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--beta", defaultValue = "0.1", description = "beta of the loss and of J (default: ${DEFAULT-VALUE}).")
    double beta;

    @Option(names = "--learning-rate", defaultValue = "5e-5", paramLabel = "LR",
            description = "The learner's peak learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--verifier-weight", defaultValue = "10", paramLabel = "W",
            description = "Weight of the task's verifier in the training reward, next to the proxy reward model's 1; 0 "
                    + "trains on the proxy alone, which over-optimizes it into short answers (default: ${DEFAULT-VALUE}).")
    double verifierWeight;

    @Option(names = "--snapshot-steps", defaultValue = "8", paramLabel = "K",
            description = "Learner steps (of 16 pairs) per published version (default: ${DEFAULT-VALUE}).")
    int snapshotSteps;

    @Option(names = "--eval-prompts", defaultValue = "128", paramLabel = "N",
            description = "Held-out prompts each version is evaluated on (default: ${DEFAULT-VALUE}).")
    int evalPrompts;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the prompt stream, sampling and the learner "
            + "(default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--pi0", paramLabel = "DIR",
            description = "Start from this policy directory instead of the cached pi0 (a model trained elsewhere on the task).")
    Path pi0Dir;

    @Option(names = "--reward-model", paramLabel = "DIR",
            description = "Score with this reward model directory instead of the cached proxy reward model.")
    Path rewardModelDir;

    @Option(names = "--policy", defaultValue = "demo", description = "The policy's name (default: ${DEFAULT-VALUE}).")
    String policy;

    @Option(names = "--rollout-gate", defaultValue = "none", paramLabel = "none|eval",
            description = "eval: the generator serves a new version only once its evaluation is in and its gold reward is "
                    + "not below the live version's by more than 0.02 (default: ${DEFAULT-VALUE}).")
    String rolloutGate;

    @Option(names = "--generators", defaultValue = "1", paramLabel = "N",
            description = "Generator instances, one consumer group sharing the prompts topic's partitions (1 to "
                    + PROMPT_PARTITIONS + "; default: ${DEFAULT-VALUE}).")
    int generators;

    @Option(names = "--web", description = "Also show the loop live in a browser (the page of odpo monitor --web), on "
            + "127.0.0.1:--web-port.")
    boolean web;

    @Option(names = "--web-port", defaultValue = "8090", paramLabel = "PORT",
            description = "Port of the --web page (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int webPort;

    static final String GENERATOR_GROUP = "odpo-demo-generator";
    /** Partitions of every topic of the demo's broker: at most this many generators share the prompts. */
    static final int PROMPT_PARTITIONS = 3;
    /** Prompts published and not yet sampled, per generator: two batches. */
    static final int PROMPTS_IN_FLIGHT = 16;
    /** Held-out prompts, and samples of each, in the final paired comparison with v0. */
    static final int COMPARISON_PROMPTS = 256;
    static final int COMPARISON_SEEDS = 4;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String bad = badInput();
        if (bad != null) {
            spec.commandLine().getErr().println("odpo demo: " + bad);
            return 2;
        }
        // Five services share this process and its cores: one PyTorch thread each is several times faster than
        // PyTorch's default of one per core for every op (measured; see docs/model.md). Set before the engine starts.
        System.setProperty("ai.djl.pytorch.num_threads", System.getProperty("ai.djl.pytorch.num_threads", "1"));
        System.setProperty("ai.djl.pytorch.num_interop_threads",
                System.getProperty("ai.djl.pytorch.num_interop_threads", "1"));
        Path demoDir = dataDir.resolve("demo");
        if (fresh && Files.exists(demoDir)) {
            out.println("--fresh: removing " + demoDir);
            AtomicDirectory.deleteRecursively(demoDir);
        }
        Files.createDirectories(demoDir);

        // 1. the models: pi0 and the proxy reward model, cached under DIR/models
        out.println("[1/4] warm-start policy pi0 and proxy reward model");
        out.flush();
        Path pi0 = pi0Dir != null ? pi0Dir : ensurePi0();
        Path rewardModel = rewardModelDir != null ? rewardModelDir : ensureRewardModel(pi0);
        out.println("      pi0: " + pi0);
        out.println("      proxy reward model: " + rewardModel);

        // 2. broker and registry
        out.println("[2/4] Kafka broker and schema registry");
        out.flush();
        BrokerCommand broker = new BrokerCommand();
        broker.host = "127.0.0.1";
        broker.port = 0;
        broker.controllerPort = 0;
        broker.registryPort = 0;
        broker.dataDir = demoDir;
        broker.topicPrefix = "odpo.";
        broker.partitions = PROMPT_PARTITIONS;
        try (BrokerCommand.Running stack = broker.start()) {
            KafkaSettings kafka = KafkaSettings.local(stack.kafka().bootstrapServers(), stack.registry().url());
            try (TopicAdmin admin = TopicAdmin.create(kafka)) {
                admin.createMissing(kafka.topics().all());
            }
            out.printf("      Kafka %s, schema registry %s%n", kafka.bootstrapServers(), kafka.registryUrl());
            return loop(out, kafka, demoDir, pi0, rewardModel);
        }
    }

    private int loop(PrintWriter out, KafkaSettings kafka, Path demoDir, Path pi0, Path rewardModel) throws Exception {
        Path checkpoints = demoDir.resolve("checkpoints");
        Path reports = demoDir.resolve("reports");
        // 3. pi0 as version 0, unless a run before this one already started the line
        boolean resumed = Announcements.newest(Announcements.readAll(kafka, Duration.ofSeconds(30)), policy).isPresent();
        if (resumed) {
            out.println("[3/4] resuming: " + policy + " already has announced versions");
        } else {
            out.println("[3/4] publishing pi0 as " + policy + " v0");
            int code = OdpoCli.commandLine().execute("checkpoints", "publish", "--model", pi0.toString(), "--policy",
                    policy, "--reference-version", "0", "--bootstrap-servers", kafka.bootstrapServers(), "--registry-url",
                    kafka.registryUrl(), "--checkpoint-dir", checkpoints.toString());
            if (code != 0) {
                throw new IllegalStateException("publishing pi0 failed (exit " + code + ")");
            }
        }
        out.flush();

        // 4. the services, each from its own settings file
        Map<String, Path> files = writeSettings(kafka, demoDir.resolve("config"), checkpoints, reports, rewardModel);
        out.println("[4/4] the loop: generator, scorer, pair-builder, learner, evaluator (settings in "
                + demoDir.resolve("config") + ")");
        out.flush();
        long start = System.nanoTime();
        long loopStartMillis = System.currentTimeMillis();
        List<LoopEfficiency.GeneratorFigures> generatorFigures = new ArrayList<>();
        long deadline = start + (long) (minutes * 60e9);
        out.printf("      watch it live from another terminal: ./odpo monitor --bootstrap-servers %s --registry-url %s "
                + "--policy %s%n", kafka.bootstrapServers(), kafka.registryUrl(), policy);
        try (DemoServices services = new DemoServices();
             // one observer of the loop: the progress lines below and, with --web, the page
             LiveMonitor watch = new LiveMonitor(kafka, policy, Duration.ofSeconds(1), web ? "127.0.0.1" : null,
                     webPort, state -> { })) {
            if (watch.url() != null) {
                out.println("      live view: " + watch.url());
            }
            services.startEvaluator(files.get("evaluator"));
            services.startLearner(files.get("learner"));
            services.startPairBuilder(files.get("pair-builder"));
            services.startScorer(files.get("scorer"));
            List<Generator> started = new ArrayList<>();
            for (int i = 0; i < generators; i++) {
                started.add(services.startGenerator(generatorFile(i), files.get(generatorFile(i))));
            }
            long alreadyPublished = promptsPublished(kafka);
            try (PromptFeeder feeder = new PromptFeeder(kafka, GENERATOR_GROUP, PROMPTS_IN_FLIGHT * generators, seed,
                    alreadyPublished)) {
                Thread feederThread = new Thread(feeder, "demo-prompts");
                feederThread.setDaemon(true);
                feederThread.start();
                long nextLine = 0;
                while (true) {
                    Thread.sleep(1_000);
                    if (watch.stopped()) {
                        throw new IllegalStateException("watching the loop failed", watch.failure());
                    }
                    LoopState state = watch.latest();
                    if (state == null) {
                        continue;
                    }
                    Long evaluated = state.stages().evaluator();
                    if (evaluated != null && evaluated >= versions) {
                        out.printf("version %d evaluated: stopping%n", evaluated);
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        out.printf("%.0f minutes passed: stopping%n", minutes);
                        break;
                    }
                    if (services.failure() != null) {
                        out.println("a service failed: " + services.failure().getMessage() + " (see the log); stopping");
                        break;
                    }
                    if (System.nanoTime() >= nextLine) {
                        out.printf(Locale.ROOT, "[%4.1f min] %,d prompts | %s%n", (System.nanoTime() - start) / 60e9,
                                feeder.published(), TerminalView.line(state));
                        out.flush();
                        nextLine = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                    }
                }
            }
            for (int i = 0; i < started.size(); i++) {
                generatorFigures.add(LoopEfficiency.GeneratorFigures.of(generatorId(i), started.get(i)));
            }
            out.println("stopping the services ...");
            out.flush();
        }
        LoopEfficiency efficiency = LoopEfficiency.of(LoopEfficiency.readLearnerMetrics(kafka, policy, loopStartMillis),
                generatorFigures);
        try (LoopObserver watch = new LoopObserver(kafka, policy)) {
            LoopState state = watch.observe();
            long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < until) {
                state = watch.observe();
            }
            List<LoopState.Evaluation> rows = state.evaluations();
            out.println();
            out.println("Evaluation on " + evalPrompts + " held-out prompts (gold = the task's verifier; acc and gold "
                    + "at temperature 1, greedy = greedy accuracy; KL to the reference; J = gold - beta*KL; win = share "
                    + "of prompts where it beats v0):");
            TerminalView.evaluationTable(rows).forEach(out::println);
            Improvement improvement = null;
            if (rows.size() >= 2) {
                long first = rows.get(0).version();
                long last = rows.get(rows.size() - 1).version();
                out.printf("comparing v%d with v%d on %d held-out prompts, %d samples each ...%n", last, first,
                        COMPARISON_PROMPTS, COMPARISON_SEEDS);
                out.flush();
                LocalCheckpointStore store = new LocalCheckpointStore(checkpoints);
                improvement = Improvement.measure(store.dirOf(policy, first), store.dirOf(policy, last),
                        COMPARISON_PROMPTS, COMPARISON_SEEDS, 48);
                out.printf("gold reward, v%d minus v%d: %s -> %s%n", last, first, improvement,
                        improvement.beyondNoise() ? "better beyond noise" : "not distinguishable from noise");
            }
            out.println();
            out.println("Where the time went (this run):");
            efficiency.lines().forEach(out::println);
            Path summary = demoDir.resolve("summary.json");
            DemoSummary.write(summary, kafka, policy, rows, improvement, efficiency);
            out.println("report: " + reports.resolve(policy).resolve("index.html"));
            out.println("summary: " + summary);
        }
        return 0;
    }

    /** Prompts earlier runs of the demo published (a resume continues the stream after them). */
    private static long promptsPublished(KafkaSettings kafka) {
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(
                kafka.rawConsumer("unused", "odpo-demo-count"))) {
            var partitions = consumer.partitionsFor(kafka.topics().prompts().name(), Duration.ofSeconds(30)).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(p.topic(), p.partition())).toList();
            return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private Map<String, Path> writeSettings(KafkaSettings kafka, Path dir, Path checkpoints, Path reports,
                                            Path rewardModel) throws java.io.IOException {
        Map<String, String> common = new HashMap<>();
        common.put("bootstrap.servers", kafka.bootstrapServers());
        common.put("schema.registry.url", kafka.registryUrl());
        common.put("checkpoint.dir", checkpoints.toString());
        Map<String, Path> files = new HashMap<>();

        Map<String, String> g = new HashMap<>(common);
        g.put("generator.group.id", GENERATOR_GROUP);
        g.put("generator.policy", policy);
        g.put("generator.sampler", sampler);
        g.put("generator.pilaf.beta", Double.toString(beta));
        g.put("generator.n", "8");
        g.put("generator.batch.size", "8");
        g.put("generator.max.new.tokens", "48");
        g.put("generator.temperature", "1.0");
        g.put("generator.seed", Long.toString(seed));
        g.put("generator.progress.interval", "60s");
        g.put("rollout.gate", rolloutGate);
        for (int i = 0; i < generators; i++) {
            g.put("generator.id", generatorId(i));
            files.put(generatorFile(i), DemoServices.writeSettings(dir, generatorFile(i), g));
        }

        Map<String, String> s = new HashMap<>(common);
        s.remove("checkpoint.dir");
        s.put("scorer.name", "proxy-rm");
        s.put("scorer.components", verifierWeight > 0 ? "reward-model,verifier" : "reward-model");
        s.put("scorer.reward-model.weight", "1");
        s.put("scorer.verifier.weight", Double.toString(verifierWeight));
        s.put("scorer.reward-model.dir", rewardModel.toString());
        s.put("scorer.group.id", "odpo-demo-scorer-proxy-rm");
        s.put("scorer.id", "demo-scorer-0");
        files.put("scorer", DemoServices.writeSettings(dir, "scorer", s));

        Map<String, String> p = new HashMap<>(common);
        p.remove("checkpoint.dir");
        p.put("pair-builder.application.id", "odpo-demo-pair-builder");
        p.put("pair-builder.selection", "max-min");
        p.put("pair-builder.state.dir", dir.resolveSibling("pair-builder-state").toString());
        p.put("pair-builder.group.timeout", "2m");
        files.put("pair-builder", DemoServices.writeSettings(dir, "pair-builder", p));

        Map<String, String> l = new HashMap<>(common);
        l.put("learner.group.id", "odpo-demo-learner");
        l.put("learner.policy.name", policy);
        l.put("learner.loss", loss);
        l.put("learner.beta", Double.toString(beta));
        l.put("learner.reference", reference);
        l.put("learner.mode", mode);
        l.put("learner.batch.size", "16");
        l.put("learner.learning.rate", Double.toString(learningRate));
        l.put("learner.warmup.steps", "5");
        l.put("learner.snapshot.steps", Integer.toString(snapshotSteps));
        l.put("learner.snapshot.interval", "10m");
        l.put("learner.iteration.pairs", Integer.toString(16 * snapshotSteps));
        l.put("learner.max.staleness", "2");
        l.put("learner.metrics.steps", "4");
        l.put("learner.seed", Long.toString(seed));
        files.put("learner", DemoServices.writeSettings(dir, "learner", l));

        Map<String, String> e = new HashMap<>(common);
        e.put("evaluator.group.id", "odpo-demo-evaluator");
        e.put("evaluator.policy.name", policy);
        e.put("evaluator.prompts", Integer.toString(evalPrompts));
        e.put("evaluator.max.new.tokens", "48");
        e.put("evaluator.beta", Double.toString(beta));
        e.put("evaluator.report.dir", reports.toString());
        e.put("evaluator.reward-model.dir", rewardModel.toString());
        files.put("evaluator", DemoServices.writeSettings(dir, "evaluator", e));
        return files;
    }

    /** The generator id (and transactional id) of instance {@code i}. */
    private static String generatorId(int i) {
        return "demo-generator-" + i;
    }

    /** The settings file (and service name) of generator instance {@code i}: generator, generator-1, ... */
    private static String generatorFile(int i) {
        return i == 0 ? "generator" : "generator-" + i;
    }

    private Path ensurePi0() throws java.io.IOException {
        WarmStart.Spec s = WarmStart.Spec.standard();
        if (WarmStart.isCached(dataDir, s)) {
            return WarmStart.cacheDir(dataDir, s);
        }
        spec.commandLine().getOut().println("      training pi0 (first run only; about 6-8 minutes on 2 cores) ...");
        spec.commandLine().getOut().flush();
        try (ConsoleProgress bar = new ConsoleProgress("pi0 sft", s.sft().steps())) {
            return WarmStart.ensure(dataDir, s, bar);
        }
    }

    private Path ensureRewardModel(Path pi0) throws java.io.IOException {
        TaskRewardModel.ProxySpec s = TaskRewardModel.ProxySpec.standard();
        try (ConsoleProgress sampling = new ConsoleProgress("label pairs", s.prompts(), "pairs", false);
             ConsoleProgress training = new ConsoleProgress("reward model", 0, "loss", true)) {
            return TaskRewardModel.ensureProxy(pi0, s, sampling, training);
        }
    }

    private String badInput() {
        if (versions < 1) {
            return "--versions must be >= 1, got " + versions;
        }
        if (generators < 1 || generators > PROMPT_PARTITIONS) {
            return "--generators must be 1 to " + PROMPT_PARTITIONS + " (the prompts topic's partitions), got "
                    + generators;
        }
        if (!(minutes > 0)) {
            return "--minutes must be > 0, got " + minutes;
        }
        if (!List.of("none", "eval").contains(rolloutGate)) {
            return "--rollout-gate must be none or eval, got '" + rolloutGate + "'";
        }
        if (!List.of("vanilla", "pilaf").contains(sampler)) {
            return "--sampler must be vanilla or pilaf, got '" + sampler + "'";
        }
        if (!List.of("sigmoid", "ipo", "hinge").contains(loss)) {
            return "--loss must be sigmoid, ipo or hinge, got '" + loss + "'";
        }
        if (!List.of("initial", "previous").contains(reference)) {
            return "--reference must be initial or previous, got '" + reference + "'";
        }
        if (!List.of("online", "iterative").contains(mode)) {
            return "--mode must be online or iterative, got '" + mode + "'";
        }
        if (!(verifierWeight >= 0)) {
            return "--verifier-weight must be >= 0, got " + verifierWeight;
        }
        if (!(beta > 0) || !(learningRate > 0) || snapshotSteps < 1 || evalPrompts < 1) {
            return "--beta and --learning-rate must be > 0, --snapshot-steps and --eval-prompts >= 1";
        }
        return null;
    }
}

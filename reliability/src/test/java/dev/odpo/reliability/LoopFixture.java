package dev.odpo.reliability;

import dev.odpo.evaluator.Evaluator;
import dev.odpo.evaluator.EvaluatorConfig;
import dev.odpo.generator.Generator;
import dev.odpo.generator.GeneratorConfig;
import dev.odpo.kafka.Service;
import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.kafka.config.Setting;
import dev.odpo.learner.Learner;
import dev.odpo.learner.LearnerConfig;
import dev.odpo.pairs.PairBuilderService;
import dev.odpo.pairs.PairBuilderSettings;
import dev.odpo.scorer.Scorer;
import dev.odpo.scorer.ScorerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The five services of the loop on a tiny policy, each built from its own properties file exactly as
 * {@code odpo run <service> --config FILE} builds it, each on its own thread; settings small enough that a
 * prompt goes round the loop in seconds.
 */
final class LoopFixture implements AutoCloseable {

    static final String POLICY = "pi";
    static final List<String> SERVICES = List.of("generator", "scorer", "pair-builder", "learner", "evaluator");

    private record Running(Service service, Thread thread) {}

    private final Path dir;
    private final Map<String, Path> files = new LinkedHashMap<>();
    private final Map<String, Running> running = new LinkedHashMap<>();
    private final Map<String, Throwable> failures = new ConcurrentHashMap<>();

    /**
     * @param common the settings every service shares: bootstrap.servers, schema.registry.url, topic.prefix …
     */
    LoopFixture(Path dir, Map<String, String> common) throws IOException {
        this.dir = dir;
        Map<String, String> g = new TreeMap<>(common);
        g.put("generator.group.id", "generator");
        g.put("generator.id", "generator-0");
        g.put("generator.policy", POLICY);
        g.put("generator.n", "2");
        g.put("generator.batch.size", "4");
        g.put("generator.max.new.tokens", "8");
        g.put("generator.max.prompt.chars", "2000");
        g.put("generator.progress.interval", "60s");
        write("generator", g);

        Map<String, String> s = new TreeMap<>(common);
        s.remove("checkpoint.dir");
        s.put("scorer.name", "length");
        s.put("scorer.components", "length-penalty");
        s.put("scorer.length-penalty.lambda", "0.1");
        s.put("scorer.group.id", "scorer-length");
        s.put("scorer.id", "scorer-0");
        s.put("scorer.max.chars", "2000");
        write("scorer", s);

        Map<String, String> p = new TreeMap<>(common);
        p.remove("checkpoint.dir");
        p.put("pair-builder.application.id", "pair-builder");
        p.put("pair-builder.state.dir", dir.resolve("pair-builder-state").toString());
        p.put("pair-builder.group.timeout", "20s");
        p.put("pair-builder.feedback.wait", "3s");
        p.put("pair-builder.punctuate.interval", "1s");
        write("pair-builder", p);

        Map<String, String> l = new TreeMap<>(common);
        l.put("learner.group.id", "learner");
        l.put("learner.policy.name", POLICY);
        l.put("learner.batch.size", "4");
        l.put("learner.batch.linger", "1s");
        l.put("learner.warmup.steps", "0");
        l.put("learner.snapshot.steps", "2");
        l.put("learner.max.staleness", "1000");
        l.put("learner.max.chars", "2000");
        l.put("learner.metrics.steps", "1");
        l.put("learner.keep.snapshots", "1000");
        write("learner", l);

        Map<String, String> e = new TreeMap<>(common);
        e.put("evaluator.group.id", "evaluator");
        e.put("evaluator.policy.name", POLICY);
        e.put("evaluator.prompts", "4");
        e.put("evaluator.batch.size", "4");
        e.put("evaluator.max.new.tokens", "8");
        e.put("evaluator.report.dir", dir.resolve("reports").toString());
        write("evaluator", e);
    }

    private void write(String service, Map<String, String> settings) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(service + ".properties");
        StringBuilder text = new StringBuilder();
        settings.forEach((k, v) -> text.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        Files.writeString(file, text, StandardCharsets.UTF_8);
        files.put(service, file);
    }

    /** The settings file of {@code service}, as {@code odpo run <service> --config FILE} reads it. */
    Path settings(String service) {
        return files.get(service);
    }

    /** Sets (or replaces) settings of {@code service} in its file. */
    void override(String service, Map<String, String> settings) throws IOException {
        Map<String, String> all = new TreeMap<>();
        for (String line : Files.readAllLines(files.get(service), StandardCharsets.UTF_8)) {
            int eq = line.indexOf('=');
            all.put(line.substring(0, eq), line.substring(eq + 1).replace("\\\\", "\\"));
        }
        all.putAll(settings);
        write(service, all);
    }

    /** Starts a service (again) from its settings file. */
    void start(String service) {
        switch (service) {
            case "generator" -> start(service, GeneratorConfig.SETTINGS, v -> Generator.create(GeneratorConfig.from(v)));
            case "scorer" -> start(service, ScorerConfig.SETTINGS, v -> Scorer.create(ScorerConfig.from(v)));
            case "pair-builder" -> start(service, PairBuilderSettings.SETTINGS,
                    v -> new PairBuilderService(PairBuilderSettings.from(v)));
            case "learner" -> start(service, LearnerConfig.SETTINGS, v -> Learner.create(LearnerConfig.from(v)));
            case "evaluator" -> start(service, EvaluatorConfig.SETTINGS, v -> Evaluator.create(EvaluatorConfig.from(v)));
            default -> throw new IllegalArgumentException("unknown service " + service);
        }
    }

    void startAll() {
        SERVICES.forEach(this::start);
    }

    private void start(String name, Collection<Setting<?>> settings, Function<ConfigValues, Service> build) {
        Service service = build.apply(ConfigValues.load(settings, Map.of(), files.get(name)));
        Thread thread = new Thread(() -> {
            try {
                service.run();
            } catch (Throwable t) {
                failures.put(name, t);
            }
        }, "loop-" + name);
        thread.setDaemon(true);
        thread.start();
        running.put(name, new Running(service, thread));
    }

    /** Stops a service as SIGTERM would: it finishes what it holds and commits. */
    void stop(String name) throws InterruptedException {
        Running r = running.remove(name);
        if (r != null) {
            r.service().stop();
            r.service().awaitStopped(Duration.ofSeconds(60));
            r.thread().join(10_000);
        }
    }

    /** The services whose thread ended (they stopped on their own), with the error each stopped on, if any. */
    Map<String, String> stoppedOnTheirOwn() {
        Map<String, String> out = new TreeMap<>();
        running.forEach((name, r) -> {
            if (!r.thread().isAlive()) {
                out.put(name, String.valueOf(failures.get(name)));
            }
        });
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        List<String> names = List.copyOf(running.keySet());
        for (int i = names.size() - 1; i >= 0; i--) {
            stop(names.get(i));
        }
    }
}

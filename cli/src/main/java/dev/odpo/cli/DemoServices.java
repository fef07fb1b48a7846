package dev.odpo.cli;

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
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The five services of the loop, each built from its own properties file exactly as {@code odpo run
 * <service> --config FILE} would build it, and run on its own thread of this process. The files stay in
 * the demo's directory, so each service can also be run on its own against the same broker.
 */
final class DemoServices implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DemoServices.class);

    private record Running(String name, Service service, Thread thread) {}

    private final List<Running> running = new ArrayList<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    /** Writes a service's settings file (sorted keys, so a diff between runs reads well). */
    static Path writeSettings(Path dir, String service, Map<String, String> settings) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(service + ".properties");
        StringBuilder text = new StringBuilder("# settings of the demo's " + service + "; run it alone with:\n# odpo run "
                + service + " --config " + file + "\n");
        new TreeMap<>(settings).forEach((k, v) -> text.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    /** Loads {@code file} with the service's declared settings, builds the service and starts it on a thread. */
    <S extends Service> S start(String name, Collection<Setting<?>> settings, Path file,
                                Function<ConfigValues, S> build) {
        S service = build.apply(ConfigValues.load(settings, Map.of(), file));
        Thread thread = new Thread(() -> {
            try {
                service.run();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                log.error("demo: {} stopped with an error", name, t);
            }
        }, "demo-" + name);
        thread.start();
        running.add(new Running(name, service, thread));
        return service;
    }

    Generator startGenerator(String name, Path file) {
        return start(name, GeneratorConfig.SETTINGS, file, v -> Generator.create(GeneratorConfig.from(v)));
    }

    void startScorer(Path file) {
        start("scorer", ScorerConfig.SETTINGS, file, v -> Scorer.create(ScorerConfig.from(v)));
    }

    void startPairBuilder(Path file) {
        start("pair-builder", PairBuilderSettings.SETTINGS, file, v -> new PairBuilderService(PairBuilderSettings.from(v)));
    }

    void startLearner(Path file) {
        start("learner", LearnerConfig.SETTINGS, file, v -> Learner.create(LearnerConfig.from(v)));
    }

    void startEvaluator(Path file) {
        start("evaluator", EvaluatorConfig.SETTINGS, file, v -> Evaluator.create(EvaluatorConfig.from(v)));
    }

    /** The first error a service stopped with, or null while all run. */
    Throwable failure() {
        return failure.get();
    }

    /** Names of services whose thread has ended. */
    List<String> stopped() {
        return running.stream().filter(r -> !r.thread().isAlive()).map(Running::name).toList();
    }

    /** Stops the services, the last started first, each committing what it has done. */
    @Override
    public void close() {
        for (int i = running.size() - 1; i >= 0; i--) {
            Running r = running.get(i);
            r.service().stop();
            try {
                if (!r.service().awaitStopped(Duration.ofSeconds(60))) {
                    log.warn("demo: {} did not stop within 60 s", r.name());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}

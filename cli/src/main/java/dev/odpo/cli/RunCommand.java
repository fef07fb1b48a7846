package dev.odpo.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Runs one service in the foreground, with the settings it reads from the environment and --config. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs one odpo service in the foreground until Ctrl-C (SIGTERM): it commits what it has "
                + "processed and closes cleanly.",
                "Services read their settings from ODPO_* environment variables and an optional properties "
                        + "file; 'odpo run <service> --settings' lists them all."})
public final class RunCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** The services and the class whose main runs each. */
    enum ServiceName {
        generator(dev.odpo.generator.Main::run),
        scorer(dev.odpo.scorer.Main::run),
        pair_builder(dev.odpo.pairs.Main::run),
        learner(dev.odpo.learner.Main::run),
        evaluator(dev.odpo.evaluator.Main::run);

        /** The service's Main.run: runs it until stopped and returns its exit code. */
        final java.util.function.ToIntFunction<String[]> main;

        ServiceName(java.util.function.ToIntFunction<String[]> main) {
            this.main = main;
        }

        static ServiceName parse(String s) {
            return valueOf(s.replace('-', '_'));
        }
    }

    @Parameters(index = "0", paramLabel = "SERVICE", converter = ServiceNameConverter.class,
            completionCandidates = ServiceNames.class,
            description = "One of: ${COMPLETION-CANDIDATES}.")
    ServiceName service;

    @Option(names = "--config", paramLabel = "FILE", description = "A properties file with the service's settings.")
    Path configFile;

    @Option(names = "--settings", description = "List every setting the service reads (name, environment variable, default) and exit.")
    boolean settings;

    @Option(names = "--from-beginning",
            description = "scorer only: re-score every retained sample (rewinds the scorer's group to the earliest offsets).")
    boolean fromBeginning;

    @Override
    public Integer call() throws Exception {
        List<String> args = new ArrayList<>();
        if (fromBeginning) {
            if (service != ServiceName.scorer) {
                spec.commandLine().getErr().println("odpo run: --from-beginning applies to the scorer only");
                return 2;
            }
            args.add("--from-beginning");
        }
        if (settings) {
            args.add("--help");
        }
        if (configFile != null) {
            args.add("--config");
            args.add(configFile.toString());
        }
        return service.main.applyAsInt(args.toArray(String[]::new));
    }

    static final class ServiceNames extends ArrayList<String> {
        ServiceNames() {
            super(List.of("generator", "scorer", "pair-builder", "learner", "evaluator"));
        }
    }

    static final class ServiceNameConverter implements picocli.CommandLine.ITypeConverter<ServiceName> {
        @Override
        public ServiceName convert(String value) {
            try {
                return ServiceName.parse(value);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException("unknown service '" + value
                        + "'; expected one of " + String.join(", ", new ServiceNames()));
            }
        }
    }
}

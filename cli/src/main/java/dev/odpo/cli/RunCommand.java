package dev.odpo.cli;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
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

    /** The services and the class whose main runs each. */
    enum ServiceName {
        generator("dev.odpo.generator.Main"),
        scorer("dev.odpo.scorer.Main"),
        pair_builder("dev.odpo.pairs.Main"),
        learner("dev.odpo.learner.Main"),
        evaluator("dev.odpo.evaluator.Main");

        final String mainClass;

        ServiceName(String mainClass) {
            this.mainClass = mainClass;
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

    @Override
    public Integer call() throws Exception {
        List<String> args = new ArrayList<>();
        if (settings) {
            args.add("--help");
        }
        if (configFile != null) {
            args.add("--config");
            args.add(configFile.toString());
        }
        return runMain(service.mainClass, args.toArray(String[]::new));
    }

    /**
     * Runs a service's main class: its {@code static int run(String[])} when it has one (so the exit code
     * comes back), else its {@code main(String[])}. Looked up by name so that each service owns its Main.
     */
    static int runMain(String mainClass, String[] args) throws Exception {
        Class<?> main;
        try {
            main = Class.forName(mainClass);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("this build has no " + mainClass + " (is that service built yet?)", e);
        }
        try {
            Method run = main.getMethod("run", String[].class);
            if (run.getReturnType() == int.class) {
                return (int) run.invoke(null, (Object) args);
            }
        } catch (NoSuchMethodException e) {
            // fall through to main
        } catch (InvocationTargetException e) {
            throw rethrow(e);
        }
        try {
            main.getMethod("main", String[].class).invoke(null, (Object) args);
            return 0;
        } catch (InvocationTargetException e) {
            throw rethrow(e);
        }
    }

    private static Exception rethrow(InvocationTargetException e) {
        return e.getCause() instanceof Exception ex ? ex : new IllegalStateException(e.getCause());
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

package dev.odpo.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code odpo} command line. Each subcommand is its own class; to add one, write the class in this
 * package and add it to the list below (one line).
 */
@Command(name = "odpo", mixinStandardHelpOptions = true, version = "odpo 0.1.0",
        description = "Continuous online DPO for language models, as an event-streaming system on Apache Kafka.",
        footer = {"", "Start here:  odpo demo   (the whole loop on this machine; odpo demo --help for its options)",
                "Run 'odpo <command> --help' for a command's options."},
        subcommands = {
                DemoCommand.class,
                BrokerCommand.class,
                RunCommand.class,
                TopicsCommand.class,
                PromptsCommand.class,
                TailCommand.class,
                MonitorCommand.class,
                FeedbackCommand.class,
                GenerateCommand.class,
                EvaluateCommand.class,
                CheckpointsCommand.class,
                SftCommand.class,
                TrainRewardModelCommand.class,
                StudyCommand.class,
                CommandLine.HelpCommand.class,
        })
public final class OdpoCli implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The command line with every subcommand, as main runs it; tests call execute on it. */
    public static CommandLine commandLine() {
        return new CommandLine(new OdpoCli())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(OdpoCli::reportFailure)
                .setParameterExceptionHandler(OdpoCli::reportBadArguments);
    }

    /** Bad arguments: one line with the reason and where the usage is, not the whole usage text (exit 2). */
    private static int reportBadArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        cmd.getErr().println(cmd.getColorScheme().errorText(name + ": " + e.getMessage() + " ('" + name
                + " --help' lists the options)"));
        cmd.getErr().flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * A command that fails prints one clear line (the cause, e.g. a bad setting or a port in use) instead
     * of a stack trace; ODPO_DEBUG=1 shows the trace too. Bad settings exit with 2, other failures with 1.
     */
    private static int reportFailure(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        String name = cmd.getCommandSpec().qualifiedName();
        cmd.getErr().println(cmd.getColorScheme().errorText(name + ": " + e.getMessage()));
        Throwable cause = e.getCause();
        while (cause != null && cause != cause.getCause()) {
            if (cause.getMessage() != null && !e.getMessage().contains(cause.getMessage())) {
                cmd.getErr().println("  caused by: " + cause.getMessage());
            }
            cause = cause.getCause();
        }
        if (System.getenv("ODPO_DEBUG") != null) {
            e.printStackTrace(cmd.getErr());
        }
        cmd.getErr().flush();
        return e instanceof dev.odpo.kafka.config.ConfigException ? 2 : 1;
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        System.exit(code);
    }
}

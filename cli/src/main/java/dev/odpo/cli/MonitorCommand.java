package dev.odpo.cli;

import dev.odpo.cli.monitor.LiveMonitor;
import dev.odpo.cli.monitor.LoopState;
import dev.odpo.cli.monitor.TerminalView;
import dev.odpo.kafka.config.KafkaSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jline.terminal.Attributes;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** A live view of the loop from its topics: rates, lag, versions, learner, evaluations; in the terminal or a browser. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = {"Shows the loop live, read from its topics with plain Kafka clients (joins no consumer group, "
                + "commits nothing): events per second on every topic, each consumer group's lag, the policy version "
                + "seen at each stage (generator, scorer, pairs, learner, evaluator), the learner's loss, reward "
                + "accuracy and pair staleness, the evaluations, and the newest dead letter.",
                "On a terminal it redraws the screen; press q (or Ctrl-C) to quit. When the output is not a terminal "
                        + "it prints one line every --interval seconds instead.",
                "With --web it also serves the same view with live charts on http://127.0.0.1:8090/ (and its "
                        + "JSON on /state)."})
public final class MonitorCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--policy", paramLabel = "NAME",
            description = "Show only this policy's versions, learner metrics and evaluations (default: all).")
    String policy;

    @Option(names = "--refresh", paramLabel = "SECONDS", defaultValue = "2",
            description = "How often the topics are read and the view is redrawn (default: ${DEFAULT-VALUE}).")
    double refreshSeconds;

    @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "10",
            description = "When the output is not a terminal: print a line this often (default: ${DEFAULT-VALUE}).")
    double intervalSeconds;

    @Option(names = "--web", description = "Also serve the view as a web page with live charts.")
    boolean web;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8090",
            description = "Port of the web page (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--bind", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "Address the web page listens on (default: ${DEFAULT-VALUE}, this machine only; the page "
                    + "has no login, so bind elsewhere only on a network you trust).")
    String bind;

    @Option(names = "--plain", description = "Print lines even on a terminal.")
    boolean plain;

    @Option(names = "--max-updates", paramLabel = "N", hidden = true,
            description = "Stop after N observations (for scripts and tests).")
    Long maxUpdates;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (refreshSeconds <= 0 || intervalSeconds <= 0) {
            throw new IllegalArgumentException("--refresh and --interval must be positive seconds");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("--port must be between 0 and 65535, was " + port);
        }
        KafkaSettings settings = kafka.settings();
        String where = settings.bootstrapServers() + " " + settings.topicPrefix() + "*";
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.countDown();
            awaitQuietly(stopped);
        }, "odpo-monitor-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        Terminal terminal = plain || System.console() == null ? null : screenTerminal();
        Attributes saved = terminal == null ? null : terminal.enterRawMode();
        AtomicLong updates = new AtomicLong();
        AtomicLong nextLine = new AtomicLong();
        Consumer<LoopState> show = state -> {
            if (terminal != null) {
                draw(terminal, state, where);
            } else if (state.atMillis() >= nextLine.get()) {
                out.println(TerminalView.line(state));
                out.flush();
                nextLine.set(state.atMillis() + (long) (intervalSeconds * 1000));
            }
            if (maxUpdates != null && updates.incrementAndGet() >= maxUpdates) {
                stop.countDown();
            }
        };
        try (LiveMonitor monitor = new LiveMonitor(settings, policy, Duration.ofMillis((long) (refreshSeconds * 1000)),
                web ? bind : null, port, show)) {
            if (monitor.url() != null) {
                out.println("odpo monitor: the web view is on " + monitor.url());
                out.flush();
            }
            if (terminal != null) {
                startKeyReader(terminal, stop);
            }
            while (!stop.await(500, TimeUnit.MILLISECONDS)) {
                if (monitor.stopped()) {
                    throw monitor.failure() != null ? monitor.failure() : new IllegalStateException("stopped");
                }
            }
        } finally {
            if (terminal != null) {
                terminal.setAttributes(saved);
                terminal.writer().println();
                terminal.flush();
                terminal.close();
            }
            stopped.countDown();
            removeHook(hook);
        }
        return 0;
    }

    /** The system terminal, or null when it cannot redraw (a dumb terminal): then lines are printed. */
    private static Terminal screenTerminal() throws IOException {
        Terminal t = TerminalBuilder.builder().system(true).dumb(true).build();
        if (Terminal.TYPE_DUMB.equals(t.getType()) || Terminal.TYPE_DUMB_COLOR.equals(t.getType())) {
            t.close();
            return null;
        }
        return t;
    }

    private static void draw(Terminal terminal, LoopState state, String where) {
        int width = terminal.getWidth() > 0 ? terminal.getWidth() : 120;
        StringBuilder screen = new StringBuilder("\033[H\033[2J");   // home, clear
        for (String line : TerminalView.screen(state, where, width)) {
            screen.append(line).append("\r\n");
        }
        screen.append("\r\npress q to quit");
        terminal.writer().print(screen);
        terminal.flush();
    }

    /** Quits on q, Q or Ctrl-C typed at the terminal (raw mode delivers them as characters). */
    private static void startKeyReader(Terminal terminal, CountDownLatch stop) {
        Thread keys = new Thread(() -> {
            try {
                while (stop.getCount() > 0) {
                    int c = terminal.reader().read(200);
                    if (c == 'q' || c == 'Q' || c == 3 || c == -1) {
                        stop.countDown();
                    }
                }
            } catch (IOException e) {
                stop.countDown();
            }
        }, "odpo-monitor-keys");
        keys.setDaemon(true);
        keys.start();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook is what brought us here
        }
    }
}

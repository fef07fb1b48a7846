package dev.odpo.cli.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.cli.OdpoCli;
import dev.odpo.cli.monitor.LoopState.Evaluation;
import dev.odpo.cli.monitor.LoopState.GroupLag;
import dev.odpo.cli.monitor.LoopState.TopicActivity;
import dev.odpo.kafka.config.KafkaSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The monitor watching a loop's real topics on an embedded broker: what it reads, and the web page in Chromium. */
@Timeout(180)
class MonitorTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @TempDir
    Path dir;

    static KafkaSettings kafka(String prefix) {
        return KafkaSettings.local(KAFKA.bootstrapServers(), KAFKA.registryUrl()).withTopicPrefix(prefix)
                .withPartitions(1);
    }

    /** A loop that has run for a while: versions 0..3 of pi announced, 0..2 evaluated, another policy beside it. */
    static void runningLoop(LoopTraffic t) {
        t.sample("s1", LoopTraffic.POLICY, 1);
        t.sample("s2", LoopTraffic.POLICY, 2);
        t.sample("s3", "other", 9);
        t.pair("a", 1, 1);
        t.pair("b", 2, 1);
        t.pair("c", 2, 2);
        for (long v = 0; v <= 3; v++) {
            t.announce(LoopTraffic.POLICY, v);
        }
        t.announce("other", 9);
        t.evaluation(LoopTraffic.POLICY, 0, 0.20, 0.0);
        t.evaluation(LoopTraffic.POLICY, 1, 0.30, 0.02);
        t.evaluation(LoopTraffic.POLICY, 2, 0.35, 0.04);
        t.evaluation("other", 9, 0.99, 9.0);
        t.metrics(LoopTraffic.POLICY, 3, 8, 0.69, 0.55);
        t.metrics(LoopTraffic.POLICY, 3, 16, 0.61, 0.70);
        t.commit("odpo-learner-pi", t.topics().pairs(), 1);
    }

    @Test
    void showsEachStagesVersionLagRatesAndTheNewestReportsOfOnePolicy() {
        KafkaSettings kafka = kafka("observe.");
        try (LoopTraffic traffic = new LoopTraffic(kafka)) {
            // Given a loop that has been running before the monitor starts.
            runningLoop(traffic);

            // When the monitor observes it, then five more samples and a dead letter arrive, and it observes again.
            LoopObserver observer = closeLater(new LoopObserver(kafka, "pi"));
            observer.observe();
            for (int i = 0; i < 5; i++) {
                traffic.sample("new" + i, LoopTraffic.POLICY, 3);
            }
            traffic.deadLetter("scorer", "truncated Avro");
            LoopState s = awaitState(observer, st -> activity(st, "samples").events() == 5 && st.deadLetter() != null);

            // Then each stage shows the newest version of pi it has seen; the other policy is left out.
            assertThat(s.stages().generator()).isEqualTo(3);
            assertThat(s.stages().scorer()).isNull();
            assertThat(s.stages().pairs()).isEqualTo(2);
            assertThat(s.stages().learner()).isEqualTo(3);
            assertThat(s.stages().evaluator()).isEqualTo(2);
            assertThat(s.evaluations()).extracting(Evaluation::version).containsExactly(0L, 1L, 2L);
            assertThat(s.evaluations()).extracting(Evaluation::pairsTrained).containsExactly(0L, 128L, 256L);
            assertThat(s.learner().step()).isEqualTo(16);
            assertThat(s.learner().rewardAccuracy()).isEqualTo(0.70);
            assertThat(s.history().learnerLoss()).extracting(Series.Point::y).containsExactly(0.69, 0.61);
            // Only events since the start count towards rates; the end offsets count everything.
            assertThat(activity(s, "samples").perSecond()).isPositive();
            assertThat(activity(s, "samples").endOffset()).isEqualTo(3 + 5);
            assertThat(activity(s, "pairs").events()).isZero();
            // The learner's group committed 1 of the 3 pairs.
            assertThat(s.groups()).containsExactly(new GroupLag("odpo-learner-pi", List.of("pairs"), 2));
            assertThat(s.deadLetter().service()).isEqualTo("scorer");
        }
    }

    @Test
    void theCommandPrintsLinesWhenTheOutputIsNotATerminal() {
        KafkaSettings kafka = kafka("command.");
        try (LoopTraffic traffic = new LoopTraffic(kafka)) {
            runningLoop(traffic);
        }
        StringWriter out = new StringWriter();
        CommandLine cli = OdpoCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        int code = cli.execute("monitor", "--bootstrap-servers", KAFKA.bootstrapServers(),
                "--registry-url", KAFKA.registryUrl(), "--topic-prefix", "command.", "--policy", "pi",
                "--refresh", "0.3", "--interval", "0.2", "--max-updates", "2");
        assertThat(code).isZero();
        assertThat(out.toString().strip().split("\n")).hasSize(2).allSatisfy(line -> assertThat(line).contains("learner v3", "evaluator v2"));
    }

    @Test
    void theWebPageRendersTheLoopInHeadlessChromium() throws Exception {
        Path chromium = Chromium.find();
        assumeThat(chromium).as("headless Chromium (Debian's chromium package) is not installed").isNotNull();
        KafkaSettings kafka = kafka("web.");
        AtomicReference<LoopState> latest = new AtomicReference<>();
        try (LoopTraffic traffic = new LoopTraffic(kafka); WebMonitor page = new WebMonitor("127.0.0.1", 0, latest::get)) {
            // Given a running loop, observed twice (so the charts have points).
            runningLoop(traffic);
            LoopObserver observer = closeLater(new LoopObserver(kafka, "pi"));
            latest.set(observer.observe());
            traffic.sample("later", LoopTraffic.POLICY, 3);
            latest.set(awaitState(observer, st -> activity(st, "samples").events() == 1));

            // When Chromium loads the page and runs its script.
            Path screenshot = Path.of("target", "monitor", "monitor-web.png");
            Files.createDirectories(screenshot.getParent());
            Files.deleteIfExists(screenshot);
            Document dom = Jsoup.parse(Chromium.dumpDom(chromium, page.url(), dir));
            Chromium.screenshot(chromium, page.url(), screenshot, dir);

            // Then the page shows what the loop did, filled in from /state.
            assertThat(dom.body().attr("data-ready")).isEqualTo("1");
            assertThat(dom.getElementById("stage-learner").text()).isEqualTo("v3");
            assertThat(dom.getElementById("stage-evaluator").text()).isEqualTo("v2");
            assertThat(dom.select("#evaluations tr")).hasSize(3);
            assertThat(dom.select("#evaluations tr").first().child(0).text()).isEqualTo("v2");
            assertThat(dom.select("#groups tr").first().child(0).text()).isEqualTo("odpo-learner-pi");
            assertThat(dom.select("#topics tr")).hasSize(kafka.topics().all().size());
            // And the screenshot is kept in the test output, a real PNG of a drawn page.
            byte[] png = Files.readAllBytes(screenshot);
            assertThat(png).startsWith(0x89, 'P', 'N', 'G');
            assertThat(png.length).isGreaterThan(20_000);
        }
    }

    private final List<AutoCloseable> toClose = new ArrayList<>();

    private <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private static TopicActivity activity(LoopState s, String topic) {
        return s.topics().stream().filter(t -> t.topic().equals(topic)).findFirst().orElseThrow();
    }

    private static LoopState awaitState(LoopObserver observer, java.util.function.Predicate<LoopState> done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        LoopState s = observer.observe();
        while (!done.test(s) && System.nanoTime() < deadline) {
            s = observer.observe();
        }
        return s;
    }

    /** Runs headless Chromium, the browser of Debian's chromium package. */
    static final class Chromium {
        static Path find() {
            for (String p : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
                if (Files.isExecutable(Path.of(p))) {
                    return Path.of(p);
                }
            }
            return null;
        }

        static String dumpDom(Path chromium, String url, Path dir) throws IOException, InterruptedException {
            return new String(run(chromium, dir, "--dump-dom", url), StandardCharsets.UTF_8);
        }

        static void screenshot(Path chromium, String url, Path png, Path dir) throws IOException, InterruptedException {
            run(chromium, dir, "--screenshot=" + png.toAbsolutePath(), "--window-size=1280,1400", url);
            assertThat(png).exists();
        }

        private static byte[] run(Path chromium, Path dir, String... args) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox",
                    "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
                    "--user-data-dir=" + dir.resolve("chromium-profile"),
                    // Let the page fetch /state and draw before the DOM or the picture is taken.
                    "--virtual-time-budget=5000"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("chromium.log").toFile()).start();
            byte[] out = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("chromium finished").isTrue();
            assertThat(p.exitValue()).as("chromium exit code; its log: %s", dir.resolve("chromium.log")).isZero();
            return out;
        }
    }
}

package dev.odpo.evaluator;

import ai.djl.Device;
import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.EvalReport;
import dev.odpo.kafka.BatchHandler;
import dev.odpo.kafka.ConsumerLoop;
import dev.odpo.kafka.LoopService;
import dev.odpo.kafka.RecordCheck;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.config.ConfigException;
import dev.odpo.kafka.config.Setting;
import dev.odpo.policy.CheckpointSettings;
import dev.odpo.policy.CheckpointStore;
import dev.odpo.policy.Devices;
import dev.odpo.policy.LocalCheckpointStore;
import dev.odpo.policy.Policy;
import dev.odpo.policy.ScoringModel;
import dev.odpo.policy.Snapshot;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the evaluator's loop: for every version of its policy announced on {@code checkpoints}, in order,
 * it verifies the snapshot, measures it on the held-out prompts ({@link HeldOutEvaluation}) and publishes one
 * {@link EvalReport} on {@code evaluations}, then rewrites the report pages.
 *
 * <p>Announcements are consumed in a consumer group, one per Kafka transaction that holds the report and the
 * consumed offset: each version is evaluated once per group — none skipped, even when versions arrive faster
 * than they are evaluated, and none evaluated twice after a restart. π_ref is the version the announcement
 * names as its reference, or π0 (version 0) when it names none; π0's own responses are decoded once and kept
 * as the baseline of every win rate. A snapshot that is missing or does not verify is refused: its
 * announcement goes to the dead-letter topic with the reason, and the next one is evaluated.
 */
public final class Evaluator implements LoopService {

    private static final Logger log = LoggerFactory.getLogger(Evaluator.class);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    static final String SERVICE = "evaluator";

    private final EvaluatorConfig config;
    private final Topic<String, EvalReport> evaluations;
    private final Device device;
    private final HeldOutEvaluation evaluation;
    private final StoredVersions versions;
    private final ReportPages pages;
    private final Clock clock;
    private final ConsumerLoop<String, CheckpointAnnouncement> loop;
    /** π0's responses, the baseline of the win rates; null until π0 has been decoded. */
    private Rollouts pi0;

    private Evaluator(EvaluatorConfig config, CheckpointStore store, Device device, ScoringModel proxy, Clock clock) {
        this.config = config;
        this.evaluations = config.kafka().topics().evaluations();
        this.device = device;
        this.evaluation = new HeldOutEvaluation(config.spec(), proxy);
        this.versions = new StoredVersions(config.policyName(), store, device);
        this.pages = new ReportPages(config.reportDir(), config.policyName(), config.spec().label());
        this.clock = clock;
        this.loop = ConsumerLoop.exactlyOnce(SERVICE, config.kafka(), config.kafka().topics().checkpoints(),
                config.groupId(), config.transactionalId(), 1, Evaluator::problems, this::handle);
        loop.closeWhenStopped(versions);
        if (proxy != null) {
            loop.closeWhenStopped(proxy);
        }
    }

    /**
     * The evaluator, its policies not yet loaded: the device, the checkpoint store and the reward model are
     * checked now, so bad settings fail at start. The report starts from the reports already on the
     * evaluations topic.
     *
     * @throws ConfigException naming the setting that does not work
     */
    public static Evaluator create(EvaluatorConfig config) {
        Device device = setting(EvaluatorConfig.DEVICE, config.device(), () -> Devices.parse(config.device()));
        CheckpointStore store = setting(CheckpointSettings.DIR, config.checkpointDir(),
                () -> new LocalCheckpointStore(config.checkpointDir()));
        ScoringModel proxy = config.rewardModelDir() == null ? null : setting(EvaluatorConfig.REWARD_MODEL_DIR,
                config.rewardModelDir(), () -> ScoringModel.load(config.rewardModelDir(), device));
        try {
            Evaluator e = new Evaluator(config, store, device, proxy, Clock.systemUTC());
            e.resumeReport();
            return e;
        } catch (RuntimeException e) {
            if (proxy != null) {
                proxy.close();
            }
            throw e;
        }
    }

    private interface Opening<T> {
        T open() throws IOException;
    }

    private static <T> T setting(Setting<?> setting, Object value, Opening<T> opening) {
        try {
            return opening.open();
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("invalid value '" + value + "' for setting '" + setting.name() + "': "
                    + e.getMessage());
        }
    }

    /** What makes an announcement unusable; empty when it is fine. Checkpoints are keyed by policy name. */
    static List<String> problems(String key, CheckpointAnnouncement a) {
        return new RecordCheck.Problems()
                .id("announcement_id", a.getAnnouncementId())
                .id("policy_name", a.getPolicyName())
                .keyMatches(key, "policy_name", a.getPolicyName())
                .id("uri", a.getUri())
                .check(a.getVersion() >= 0, "version must not be negative, was " + a.getVersion())
                .check(SHA256.matcher(a.getSha256()).matches(),
                        "sha256 must be 64 lower-case hex digits, was '" + a.getSha256() + "'")
                .list();
    }

    private void handle(List<ConsumerRecord<String, CheckpointAnnouncement>> records,
                        BatchHandler.Output<String, CheckpointAnnouncement> out) {
        for (ConsumerRecord<String, CheckpointAnnouncement> record : records) {
            CheckpointAnnouncement a = record.value();
            if (!a.getPolicyName().equals(config.policyName())) {
                log.debug("skipping {} v{}: this evaluator follows '{}'", a.getPolicyName(), a.getVersion(), config.policyName());
                continue;
            }
            versions.announced(a);
            try {
                EvalReport report = evaluate(a);
                out.send(evaluations, a.getPolicyName(), report);
                publishPages(report);
            } catch (IOException | IllegalArgumentException e) {
                log.error("{}: cannot evaluate {} v{}: {}", SERVICE, a.getPolicyName(), a.getVersion(), e.getMessage());
                out.reject(record, e);
            }
        }
    }

    /** Verifies, loads and measures the announced version. */
    EvalReport evaluate(CheckpointAnnouncement a) throws IOException {
        long t0 = System.nanoTime();
        Snapshot snapshot = versions.open(a);
        long version = a.getVersion();
        long referenceVersion = a.getReferenceVersion() != null ? a.getReferenceVersion() : 0;
        EvalFigures figures;
        try (Policy policy = Policy.load(snapshot.dir(), a.getPolicyName(), version, device)) {
            Rollouts own = evaluation.rollouts(policy);
            if (version == 0) {
                pi0 = own;
            }
            Rollouts baseline = baseline();   // before π_ref: decoding π0 may load v0 in its place
            Policy reference = referenceVersion == version ? policy : versions.get(referenceVersion, a.getReferenceUri());
            figures = evaluation.measure(policy, own, reference, baseline);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        EvalReport report = figures.toReport(EvalFigures.Subject.of(snapshot.manifest(), referenceVersion),
                evaluation.spec(), clock.instant(), seconds);
        log.info("{}: {} v{} on {} held-out prompts in {} s: gold reward {} (greedy {}), accuracy {}, KL to v{} {}, "
                        + "J {}, win rate vs v0 {}, {} tokens{}", SERVICE, a.getPolicyName(), version, figures.prompts(),
                String.format(Locale.ROOT, "%.1f", seconds), f3(figures.goldReward()), f3(figures.greedyGoldReward()),
                f3(figures.accuracy()), referenceVersion, f3(figures.kl()), f3(figures.objective()),
                figures.winRate() == null ? "n/a" : f3(figures.winRate()),
                String.format(Locale.ROOT, "%.1f", figures.meanResponseTokens()),
                figures.proxyReward() == null ? "" : ", proxy reward " + f3(figures.proxyReward()));
        return report;
    }

    /** π0's responses: decoded once, from version 0 in the store; null (no win rates) when it is not there. */
    private Rollouts baseline() {
        if (pi0 == null) {
            try {
                pi0 = evaluation.rollouts(versions.get(0, null));
            } catch (IOException | IllegalArgumentException e) {
                log.warn("{}: no win rate against v0: {}", SERVICE, e.getMessage());
            }
        }
        return pi0;
    }

    private void resumeReport() {
        try {
            List<EvalReport> earlier = EvaluationHistory.readAll(config.kafka(), Duration.ofSeconds(30));
            if (pages.addAll(earlier)) {
                log.info("{}: report resumes with {} evaluated version(s) of {}", SERVICE, pages.reports().size(),
                        config.policyName());
            }
        } catch (RuntimeException e) {
            log.warn("{}: the report starts empty: earlier reports could not be read ({})", SERVICE, e.getMessage());
        }
    }

    /** A report that cannot be written is logged; the evaluation and its published report stand. */
    private void publishPages(EvalReport report) {
        pages.addAll(List.of(report));
        try {
            pages.write();
        } catch (IOException | RuntimeException e) {
            log.warn("{}: could not write the report in {}: {}", SERVICE, pages.dir(), e.toString());
        }
    }

    private static String f3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** Where the report pages are written. */
    public Path reportDir() {
        return pages.dir();
    }

    @Override
    public ConsumerLoop<String, CheckpointAnnouncement> loop() {
        return loop;
    }
}

package dev.odpo.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.DeadLetter;
import dev.odpo.events.EvalReport;
import dev.odpo.events.FeedbackChoice;
import dev.odpo.events.HumanFeedback;
import dev.odpo.events.LearnerMetrics;
import dev.odpo.events.PairSource;
import dev.odpo.events.PreferencePair;
import dev.odpo.events.Prompt;
import dev.odpo.events.Sample;
import dev.odpo.events.SamplerKind;
import dev.odpo.events.Score;
import dev.odpo.events.ScorerKind;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.LocalCheckpointStore;
import dev.odpo.policy.Snapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Given the whole loop running on the embedded broker and a real schema registry, when malformed events
 * arrive at every input topic — each between valid ones — then every malformed event is dead-lettered by each
 * service that consumes it, with the kind of what was wrong, no service stops, and the valid events around
 * them go round the loop. Snapshot announcements that must not be trusted (a wrong sha256, a missing or
 * truncated file, a uri outside the store, a symbolic link, another version's files) are refused by the
 * generator and the evaluator and cannot keep a restarted learner from resuming.
 */
class BadInputCorpusTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    private static final String POLICY = LoopFixture.POLICY;
    private static final List<String> GENERATOR = List.of("generator");
    /** The scorer names itself with its scorer name in dead letters: several scorers may run side by side. */
    private static final String SCORER = "scorer:length";
    private static final List<String> SCORER_AND_PAIRS = List.of(SCORER, "pair-builder");
    private static final List<String> PAIRS = List.of("pair-builder");
    private static final List<String> LEARNER = List.of("learner");

    @TempDir
    Path tmp;

    @Test
    void everyMalformedEventIsDeadLetteredWithItsKindAndTheValidOnesAroundItGoRoundTheLoop() throws Exception {
        // Given: the loop on a tiny policy, version 0 announced
        KafkaSettings kafka = KafkaSettings.local(KAFKA.bootstrapServers(), KAFKA.registryUrl())
                .withTopicPrefix("bad.").withPartitions(1);
        Topics topics = kafka.topics();
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            admin.createMissing(topics.all());
        }
        Path checkpoints = tmp.resolve("checkpoints");
        LocalCheckpointStore store = new LocalCheckpointStore(checkpoints);
        KafkaProducer<byte[], byte[]> operator = new KafkaProducer<>(kafka.rawProducer("operator"));
        ScheduledExecutorService traffic = Executors.newSingleThreadScheduledExecutor();
        AtomicInteger live = new AtomicInteger();
        Announcements.announce(operator, topics.checkpoints(),
                Announcements.of(TinyPolicy.publish(store, POLICY, 0), null, "operator"));
        List<Forged> forged = forgeSnapshots(store, tmp.resolve("outside"));
        CheckpointAnnouncement otherPolicy = Announcements.of(TinyPolicy.publish(store, "other", 0), null, "x");
        Map<String, String> common = Map.of("bootstrap.servers", KAFKA.bootstrapServers(),
                "schema.registry.url", KAFKA.registryUrl(), "topic.prefix", "bad.", "topic.partitions", "1",
                "checkpoint.dir", checkpoints.toString());

        try (LoopFixture loop = new LoopFixture(tmp.resolve("loop"), common); Corpus corpus = new Corpus(kafka);
             TopicLog<DeadLetter> deadLetters = TopicLog.of(kafka, topics.deadLetters());
             TopicLog<Sample> samples = TopicLog.of(kafka, topics.samples());
             TopicLog<Score> scores = TopicLog.of(kafka, topics.scores());
             TopicLog<PreferencePair> pairs = TopicLog.of(kafka, topics.pairs());
             TopicLog<CheckpointAnnouncement> announcements = TopicLog.of(kafka, topics.checkpoints());
             TopicLog<EvalReport> evaluations = TopicLog.of(kafka, topics.evaluations());
             TopicLog<LearnerMetrics> learnerMetrics = TopicLog.of(kafka, topics.learnerMetrics())) {
            loop.startAll();
            // production traffic keeps coming throughout: the loop goes on around the corpus
            traffic.scheduleAtFixedRate(() -> corpus.valid(topics.prompts(), "live-" + live.get(),
                    prompt("live-" + live.getAndIncrement(), "Reverse the list: " + live.get() % 10 + " 3")),
                    0, 300, TimeUnit.MILLISECONDS);

            // When: malformed events at every input topic, between valid ones
            prompts(corpus, topics);
            samplesAndScores(corpus, topics);
            feedback(corpus, topics);
            pairs(corpus, topics);
            long lastAnnouncedBefore = announcements.all().stream().mapToLong(e -> e.value().getVersion()).max().orElse(0);
            checkpoints(corpus, topics, otherPolicy, forged);

            // Then: each malformed event is dead-lettered by each service that consumes it, with its kind
            List<TopicLog.Entry<DeadLetter>> letters = deadLetters.within(Duration.ofSeconds(120),
                    all -> corpus.bad().stream().allMatch(b -> lettersFor(all, b).keySet().containsAll(b.kinds().keySet())));
            Map<String, Map<String, String>> seen = new java.util.TreeMap<>();
            Map<String, Map<String, String>> expected = new java.util.TreeMap<>();
            for (Corpus.Bad b : corpus.bad()) {
                seen.put(describe(b), lettersFor(letters, b));
                expected.put(describe(b), b.kinds());
            }
            assertThat(seen).isEqualTo(expected);

            // Then: the valid events around them went round the loop
            assertThat(samples.until(all -> promptIds(all).containsAll(List.of("ok-1", "ok-2")), Duration.ofSeconds(60)))
                    .filteredOn(e -> e.value().getPromptId().startsWith("ok-")).hasSize(4);
            scores.until(all -> all.stream().map(e -> e.value().getSampleId()).collect(Collectors.toSet())
                    .containsAll(List.of("s-ok-0", "s-ok-1")), Duration.ofSeconds(60));
            pairs.until(all -> all.stream().anyMatch(e -> e.value().getPromptId().equals("sp-ok")
                    && e.value().getSource() != PairSource.HUMAN), Duration.ofSeconds(60));
            pairs.until(all -> all.stream().anyMatch(e -> e.value().getPromptId().equals("sp-ok")
                    && e.value().getSource() == PairSource.HUMAN), Duration.ofSeconds(60));
            // the learner announces a version trained on and after the corpus; generator and evaluator adopt it
            long next = announcements.until(all -> all.stream().anyMatch(e -> isLearners(e.value())
                    && e.value().getVersion() > lastAnnouncedBefore), Duration.ofSeconds(120)).stream()
                    .filter(e -> isLearners(e.value())).mapToLong(e -> e.value().getVersion()).max().orElseThrow();
            samples.until(all -> all.stream().anyMatch(e -> e.value().getPolicyVersion() >= next), Duration.ofSeconds(120));
            evaluations.until(all -> all.stream().anyMatch(e -> e.value().getPolicyVersion() >= next), Duration.ofSeconds(120));
            assertThat(evaluations.all()).extracting(e -> e.value().getPolicyVersion()).allMatch(v -> v < 1000);

            // the duplicate of a valid pair was skipped, not trained a second time
            learnerMetrics.until(all -> all.stream().mapToDouble(e -> e.value().getMetrics()
                    .getOrDefault("duplicates", 0.0)).sum() >= 1, Duration.ofSeconds(60));

            // Then: no service stopped
            assertThat(loop.stoppedOnTheirOwn()).isEmpty();

            // When: the learner restarts with refused announcements newer than any it made
            loop.stop("learner");
            long beforeRestart = newestOfLearner(announcements.all());
            loop.start("learner");

            // Then: it resumes from its own newest version and goes on announcing
            announcements.until(all -> newestOfLearner(all) > beforeRestart, Duration.ofSeconds(120));
            assertThat(loop.stoppedOnTheirOwn()).isEmpty();
        } finally {
            traffic.shutdownNow();
            traffic.awaitTermination(10, TimeUnit.SECONDS);
            operator.close();
        }
    }

    // ---- the corpus, topic by topic --------------------------------------------------------------------

    private static void prompts(Corpus c, Topics topics) {
        var t = topics.prompts();
        c.valid(t, "ok-1", prompt("ok-1", "Reverse the list: 1 2 3"));
        c.undecodable(t, "p-x", prompt("p-x", "hello"), GENERATOR);
        Map<String, String> invalid = Corpus.each(GENERATOR, "InvalidRecord");
        c.bad(t, "p-empty", prompt("p-empty", "   "), "empty text", invalid);
        c.bad(t, "", prompt("", "no id"), "missing prompt_id", invalid);
        c.bad(t, "p-long", prompt("p-long", "x".repeat(2001)), "over-long text", invalid);
        c.bad(t, "p-context", prompt("p-context", "y".repeat(400)), "longer than the model's context", invalid);
        c.bad(t.name(), "p-utf8", Corpus.withInvalidUtf8(t.valueSerde().serializer().serialize(t.name(),
                prompt("p-utf8", "say " + Corpus.UTF8_MARKER))), "invalid UTF-8", invalid);
        c.bad(t, "p-key", prompt("p-other", "hello"), "key is not the prompt_id", invalid);
        c.valid(t, "ok-2", prompt("ok-2", "Count a in: aaa"));
    }

    private static void samplesAndScores(Corpus c, Topics topics) {
        var s = topics.samples();
        c.valid(s, "sp-ok", sample("s-ok-0", "sp-ok", "g-ok", 2, 0, "a"));
        c.undecodable(s, "sp-x", sample("s-x", "sp-x", "g-x", 2, 0, "a"), SCORER_AND_PAIRS);
        Map<String, String> both = Corpus.each(SCORER_AND_PAIRS, "InvalidRecord");
        Map<String, String> scorer = Map.of(SCORER, "InvalidRecord");
        c.bad(s, "sp-0", sample("s-0", "sp-0", "g-0", 0, 0, "a"), "group_size 0", both);
        c.bad(s, "sp-big", sample("s-big", "sp-big", "g-big", Integer.MAX_VALUE, 0, "a"), "absurd group size", both);
        c.bad(s, "sp-idx", sample("s-idx", "sp-idx", "g-idx", 2, 5, "a"), "index outside the group", both);
        c.bad(s, "sp-long", sample("s-long", "sp-long", "g-long", 2, 0, "z".repeat(2001)), "over-long response", scorer);
        Sample old = sample("s-neg", "sp-neg", "g-neg", 2, 0, "a");
        old.setPolicyVersion(-3);
        c.bad(s, "sp-neg", old, "negative policy version", scorer);
        Sample notUtf8 = sample("s-utf8", "sp-utf8", "g-utf8", 2, 0, "a");
        notUtf8.setPromptText("say " + Corpus.UTF8_MARKER);
        c.bad(s.name(), "sp-utf8", Corpus.withInvalidUtf8(s.valueSerde().serializer().serialize(s.name(), notUtf8)),
                "invalid UTF-8 prompt text", scorer);
        c.bad(s, "sp-key", sample("s-key", "sp-other", "g-key", 2, 0, "a"), "key is not the prompt_id", both);
        c.valid(s, "sp-ok", sample("s-ok-1", "sp-ok", "g-ok", 2, 1, "abcdef"));

        var sc = topics.scores();
        c.valid(sc, "sp-ok", score("sc-ok-0", "s-ok-0", "sp-ok", "g-ok", 2, 1.0));
        c.undecodable(sc, "sp-x", score("sc-x", "s-x", "sp-x", "g-x", 2, 1.0), PAIRS);
        Map<String, String> pairsInvalid = Corpus.each(PAIRS, "InvalidRecord");
        c.bad(sc, "sp-nan", score("sc-nan", "s-nan", "sp-nan", "g-nan", 2, Double.NaN), "reward NaN", pairsInvalid);
        c.bad(sc, "sp-inf", score("sc-inf", "s-inf", "sp-inf", "g-inf", 2, Double.POSITIVE_INFINITY), "reward infinite",
                pairsInvalid);
        Score anonymous = score("sc-anon", "s-anon", "sp-anon", "g-anon", 2, 1.0);
        anonymous.setScorer(" ");
        c.bad(sc, "sp-anon", anonymous, "no scorer", pairsInvalid);
        c.bad(sc, "sp-g0", score("sc-g0", "s-g0", "sp-g0", "g-g0", 0, 1.0), "group_size 0", pairsInvalid);
        c.bad(sc, "sp-key", score("sc-key", "s-key", "sp-other", "g-key", 2, 1.0), "key is not the prompt_id", pairsInvalid);
        c.valid(sc, "sp-ok", score("sc-ok-1", "s-ok-1", "sp-ok", "g-ok", 2, -1.0));
    }

    private static void feedback(Corpus c, Topics topics) {
        var f = topics.feedback();
        c.undecodable(f, "sp-ok", choice("fb-x", "sp-ok", "s-ok-0", "s-ok-1"), PAIRS);
        Map<String, String> invalid = Corpus.each(PAIRS, "InvalidRecord");
        HumanFeedback neither = choice("fb-neither", "sp-ok", "s-ok-0", "s-ok-1");
        neither.setChoice(null);
        c.bad(f, "sp-ok", neither, "neither a choice nor a rating", invalid);
        c.bad(f, "sp-ok", choice("fb-same", "sp-ok", "s-ok-0", "s-ok-0"), "a sample against itself", invalid);
        HumanFeedback heavy = choice("fb-weight", "sp-ok", "s-ok-0", "s-ok-1");
        heavy.setWeight(Double.NaN);
        c.bad(f, "sp-ok", heavy, "weight NaN", invalid);
        c.bad(f, "sp-ok", choice("fb-unknown", "sp-ok", "s-nowhere-a", "s-nowhere-b"), "feedback for unknown samples",
                Map.of("pair-builder", "UnknownSample"));
        c.bad(f, "sp-key", choice("fb-key", "sp-ok", "s-ok-0", "s-ok-1"), "key is not the prompt_id", invalid);
        c.valid(f, "sp-ok", choice("fb-ok", "sp-ok", "s-ok-1", "s-ok-0"));
    }

    private static void pairs(Corpus c, Topics topics) {
        var p = topics.pairs();
        c.valid(p, "pp-ok", pair("pair-ok-1", "pp-ok", "Reverse the list: 4 5", "5 4", "4 5"));
        c.undecodable(p, "pp-x", pair("pair-x", "pp-x", "a", "b", "c"), LEARNER);
        Map<String, String> invalid = Corpus.each(LEARNER, "InvalidRecord");
        PreferencePair same = pair("pair-same", "pp-same", "a", "b", "c");
        same.setRejectedSampleId(same.getChosenSampleId());
        c.bad(p, "pp-same", same, "chosen and rejected the same sample", invalid);
        PreferencePair nan = pair("pair-nan", "pp-nan", "a", "b", "c");
        nan.setMargin(Double.NaN);
        c.bad(p, "pp-nan", nan, "margin NaN", invalid);
        PreferencePair weightless = pair("pair-w0", "pp-w0", "a", "b", "c");
        weightless.setWeight(0);
        c.bad(p, "pp-w0", weightless, "weight 0", invalid);
        c.bad(p, "pp-long", pair("pair-long", "pp-long", "a", "b".repeat(2001), "c"), "over-long response", invalid);
        c.bad(p, "pp-tokens", pair("pair-tokens", "pp-tokens", "q".repeat(300), "b", "c"), "more tokens than the model takes",
                invalid);
        c.bad(p, "", pair("pair-noid", "", "a", "b", "c"), "missing prompt_id", invalid);
        c.bad(p.name(), "pp-utf8", Corpus.withInvalidUtf8(p.valueSerde().serializer().serialize(p.name(),
                pair("pair-utf8", "pp-utf8", "say " + Corpus.UTF8_MARKER, "b", "c"))), "invalid UTF-8 prompt text", invalid);
        c.valid(p, "pp-ok", pair("pair-ok-1", "pp-ok", "Reverse the list: 4 5", "5 4", "4 5"));   // a duplicate: skipped
        c.valid(p, "pp-ok", pair("pair-ok-2", "pp-ok", "Reverse the list: 6 7", "7 6", "6 7"));
    }

    /** An announcement that must not be trusted, and what its followers must do with it. */
    private record Forged(String what, CheckpointAnnouncement announcement, Map<String, String> kinds) {}

    /**
     * Snapshots and announcements that must not be trusted, numbered far above anything the learner will reach,
     * so that a follower that took any of them would never adopt the learner's next version. Written before the
     * loop starts: the store has one writer per policy, the learner.
     */
    private static List<Forged> forgeSnapshots(LocalCheckpointStore store, Path outside) throws Exception {
        List<Forged> out = new ArrayList<>();
        Map<String, String> refused = Map.of("generator", "SnapshotRefused", "evaluator", "SnapshotRefused");

        CheckpointAnnouncement wrongSha = Announcements.of(TinyPolicy.publish(store, POLICY, 1001), null, "forger");
        wrongSha.setSha256("0".repeat(64));
        out.add(new Forged("wrong sha256", wrongSha, refused));

        CheckpointAnnouncement missing = Announcements.of(TinyPolicy.publish(store, POLICY, 1002), null, "forger");
        deleteTree(store.dirOf(POLICY, 1002));
        out.add(new Forged("snapshot missing", missing, refused));

        Snapshot truncated = TinyPolicy.publish(store, POLICY, 1003);
        Path weights = truncated.dir().resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        out.add(new Forged("truncated file", Announcements.of(truncated, null, "forger"), refused));

        // a genuine snapshot copied out of the store, announced where it now is
        Snapshot original = TinyPolicy.publish(store, POLICY, 1004);
        CheckpointAnnouncement genuine = Announcements.of(original, null, "forger");
        Path copy = outside.resolve("v1004");
        copyTree(original.dir(), copy);
        out.add(new Forged("uri outside the store",
                CheckpointAnnouncement.newBuilder(genuine).setUri(copy.toUri().toString()).build(), refused));
        out.add(new Forged("path traversal out of the store", CheckpointAnnouncement.newBuilder(genuine)
                .setUri(store.root().toUri() + POLICY + "/../../outside/v1004/").build(), refused));
        Path link = store.root().resolve(POLICY).resolve("linked");
        Files.createSymbolicLink(link, copy);
        out.add(new Forged("a directory that is a symbolic link out of the store",
                CheckpointAnnouncement.newBuilder(genuine).setUri(link.toUri().toString()).build(), refused));

        Snapshot withLink = TinyPolicy.publish(store, POLICY, 1005);
        Path config = withLink.dir().resolve("config.json");
        Path configCopy = outside.resolve("config.json");
        Files.copy(config, configCopy);
        Files.delete(config);
        Files.createSymbolicLink(config, configCopy);
        out.add(new Forged("a file that is a symbolic link (same bytes)", Announcements.of(withLink, null, "forger"), refused));

        // version 0's genuine files announced as version 1006
        Snapshot v0 = store.open(store.uriOf(POLICY, 0), null);
        out.add(new Forged("another version's files", CheckpointAnnouncement.newBuilder(Announcements.of(v0, null, "forger"))
                .setVersion(1006).build(), refused));

        out.add(new Forged("sha256 that is not a hash", CheckpointAnnouncement.newBuilder(genuine).setVersion(1007)
                .setSha256("xyz").build(), Map.of("generator", "SnapshotRefused", "evaluator", "InvalidRecord")));
        return out;
    }

    private static void checkpoints(Corpus c, Topics topics, CheckpointAnnouncement otherPolicy, List<Forged> forged) {
        var t = topics.checkpoints();
        c.undecodable(t, POLICY, otherPolicy, List.of("evaluator"));
        for (Forged f : forged) {
            c.bad(t, POLICY, f.announcement(), f.what(), f.kinds());
        }
    }

    // ---- reading what came out --------------------------------------------------------------------------

    private static String describe(Corpus.Bad b) {
        return b.topic() + "@" + String.format("%03d", b.offset()) + " " + b.what();
    }

    /** The dead letters of one bad record: the kind each service gave it. */
    private static Map<String, String> lettersFor(List<TopicLog.Entry<DeadLetter>> all, Corpus.Bad bad) {
        return all.stream().map(TopicLog.Entry::value)
                .filter(d -> d.getSourceTopic().equals(bad.topic()) && d.getSourceOffset() == bad.offset())
                .collect(Collectors.toMap(DeadLetter::getService, DeadLetter::getErrorClass, (a, b) -> a + "," + b,
                        java.util.TreeMap::new));
    }

    private static java.util.Set<String> promptIds(List<TopicLog.Entry<Sample>> all) {
        return all.stream().map(e -> e.value().getPromptId()).collect(Collectors.toSet());
    }

    private static boolean isLearners(CheckpointAnnouncement a) {
        return a.getPolicyName().equals(POLICY) && a.getLearnerId() != null && a.getLearnerId().startsWith("odpo-learner");
    }

    private static long newestOfLearner(List<TopicLog.Entry<CheckpointAnnouncement>> all) {
        return all.stream().filter(e -> isLearners(e.value())).mapToLong(e -> e.value().getVersion()).max().orElse(-1);
    }

    // ---- events ---------------------------------------------------------------------------------------

    private static Prompt prompt(String id, String text) {
        return Prompt.newBuilder().setPromptId(id).setCreatedAt(Instant.now()).setText(text).build();
    }

    private static Sample sample(String id, String promptId, String group, int groupSize, int index, String response) {
        return Sample.newBuilder().setSampleId(id).setPromptId(promptId).setGroupId(group).setCreatedAt(Instant.now())
                .setPromptText("Reverse the list: 1 2").setResponseText(response).setGroupSize(groupSize)
                .setIndexInGroup(index).setPolicyName(POLICY).setPolicyVersion(0).setSampler(SamplerKind.POLICY)
                .setLogprob(-1.0).setFinishReason("stop").build();
    }

    private static Score score(String id, String sampleId, String promptId, String group, int groupSize, double reward) {
        return Score.newBuilder().setScoreId(id).setSampleId(sampleId).setPromptId(promptId).setGroupId(group)
                .setGroupSize(groupSize).setCreatedAt(Instant.now()).setScorer("manual").setScorerKind(ScorerKind.OTHER)
                .setReward(reward).setPolicyVersion(0).build();
    }

    private static HumanFeedback choice(String id, String promptId, String a, String b) {
        return HumanFeedback.newBuilder().setFeedbackId(id).setPromptId(promptId).setCreatedAt(Instant.now())
                .setAnnotator("ann").setSampleAId(a).setSampleBId(b).setChoice(FeedbackChoice.A).build();
    }

    private static PreferencePair pair(String id, String promptId, String prompt, String chosen, String rejected) {
        return PreferencePair.newBuilder().setPairId(id).setPromptId(promptId).setCreatedAt(Instant.now())
                .setPromptText(prompt).setChosenText(chosen).setRejectedText(rejected)
                .setChosenSampleId(id + "-c").setRejectedSampleId(id + "-r").setChosenReward(1).setRejectedReward(0)
                .setMargin(1).setChosenPolicyVersion(0).setRejectedPolicyVersion(0).setSelection("manual")
                .setJudge("manual").build();
    }

    private static void copyTree(Path from, Path to) throws java.io.IOException {
        try (var paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

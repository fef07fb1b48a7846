package dev.odpo.reliability;

import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.DeadLetter;
import dev.odpo.events.EvalReport;
import dev.odpo.events.PairSource;
import dev.odpo.events.PreferencePair;
import dev.odpo.events.Prompt;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.learner.LearnerSnapshot;
import dev.odpo.policy.CheckpointStore;
import dev.odpo.policy.Snapshot;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The audit of the loop after the faults: every topic's committed contents ({@code read_committed}, from the
 * beginning) and every announced snapshot's manifest, checked against what exactly-once promises.
 * <ul>
 *   <li>every prompt acknowledged to the client is on the prompts topic, and yielded exactly one sample group
 *       of the generator's size, each index once;</li>
 *   <li>every sample has exactly one score from each scorer;</li>
 *   <li>every fully scored group whose best and worst samples differ yielded exactly one pair (max-min, no
 *       margin), and no group yielded a pair it should not have;</li>
 *   <li>every announced version opens and verifies (sha256 of its manifest and files), and the lineage of the
 *       announced versions lists every pair exactly once;</li>
 *   <li>the generator's samples and the evaluator's reports name only announced, verified versions, and each
 *       announced version was evaluated exactly once;</li>
 *   <li>nothing was dead-lettered.</li>
 * </ul>
 * A finding is a line that says what was lost, duplicated or wrong, naming the event.
 */
final class LoopAudit {

    /** What the audit read and found. */
    record Report(Map<String, Integer> audited, List<String> lost, List<String> duplicated, List<String> wrong,
                  int versionsVerified, int pairsTrained) {

        String summary() {
            return "events audited " + audited + ", versions opened and verified " + versionsVerified
                    + ", pairs trained " + pairsTrained + "; lost " + lost.size() + ", duplicated " + duplicated.size()
                    + ", other findings " + wrong.size()
                    + (lost.isEmpty() ? "" : "\n  lost: " + first(lost))
                    + (duplicated.isEmpty() ? "" : "\n  duplicated: " + first(duplicated))
                    + (wrong.isEmpty() ? "" : "\n  other: " + first(wrong));
        }

        private static String first(List<String> findings) {
            return String.join("\n    ", findings.subList(0, Math.min(20, findings.size())))
                    + (findings.size() > 20 ? "\n    … " + (findings.size() - 20) + " more" : "");
        }
    }

    private final KafkaSettings kafka;
    private final CheckpointStore store;
    private final String policy;
    private final int groupSize;
    private final List<String> scorers;

    private final Map<String, Integer> audited = new LinkedHashMap<>();
    private final List<String> lost = new ArrayList<>();
    private final List<String> duplicated = new ArrayList<>();
    private final List<String> wrong = new ArrayList<>();

    /**
     * @param groupSize the generator's samples per prompt
     * @param scorers   the name of every scorer that runs
     */
    LoopAudit(KafkaSettings kafka, CheckpointStore store, String policy, int groupSize, List<String> scorers) {
        this.kafka = kafka;
        this.store = store;
        this.policy = policy;
        this.groupSize = groupSize;
        this.scorers = List.copyOf(scorers);
    }

    /** @param acknowledged the prompt ids whose writes the broker acknowledged to the client */
    Report run(Collection<String> acknowledged) throws IOException {
        Topics topics = kafka.topics();
        List<Prompt> prompts = read(topics.prompts(), "prompts");
        List<Sample> samples = read(topics.samples(), "samples");
        List<Score> scores = read(topics.scores(), "scores");
        List<PreferencePair> pairs = read(topics.pairs(), "pairs");
        List<CheckpointAnnouncement> announcements = read(topics.checkpoints(), "checkpoints");
        List<EvalReport> evaluations = read(topics.evaluations(), "evaluations");
        List<DeadLetter> deadLetters = read(topics.deadLetters(), "dead-letters");

        Map<String, List<Sample>> samplesByPrompt = prompts(acknowledged, prompts, samples);
        scores(samples, scores);
        pairs(samplesByPrompt, scores, pairs);
        Lineage lineage = versions(announcements, pairs);
        uses(samples, evaluations, announcements, lineage.verified());
        deadLetters.forEach(d -> wrong.add("dead letter from " + d.getService() + " on " + d.getSourceTopic()
                + ": " + d.getErrorClass()));
        return new Report(audited, lost, duplicated, wrong, lineage.verified().size(), lineage.trained());
    }

    private <V> List<V> read(dev.odpo.kafka.Topic<String, V> topic, String name) {
        try (TopicLog<V> log = TopicLog.of(kafka, topic)) {
            List<V> values = log.all().stream().map(TopicLog.Entry::value).toList();
            audited.put(name, values.size());
            return values;
        }
    }

    /** Prompts: acknowledged ones all present, each once, each with one whole sample group. */
    private Map<String, List<Sample>> prompts(Collection<String> acknowledged, List<Prompt> prompts, List<Sample> samples) {
        Map<String, Long> onTopic = count(prompts, Prompt::getPromptId);
        acknowledged.stream().filter(id -> !onTopic.containsKey(id)).forEach(id -> lost.add("prompt " + id + " acknowledged, not on the topic"));
        onTopic.forEach((id, n) -> {
            if (n > 1) {
                duplicated.add("prompt " + id + " on the topic " + n + " times");
            }
        });
        Map<String, List<Sample>> byPrompt = samples.stream().collect(Collectors.groupingBy(Sample::getPromptId));
        for (String id : onTopic.keySet()) {
            List<Sample> group = byPrompt.getOrDefault(id, List.of());
            Map<String, Long> groups = count(group, Sample::getGroupId);
            Map<Integer, Long> indices = count(group, Sample::getIndexInGroup);
            if (group.isEmpty()) {
                lost.add("prompt " + id + ": no sample group");
            } else if (groups.size() > 1) {
                duplicated.add("prompt " + id + ": " + groups.size() + " sample groups " + groups.keySet());
            } else if (indices.values().stream().anyMatch(n -> n > 1)) {
                duplicated.add("prompt " + id + ": a sample index twice " + indices);
            } else if (indices.size() != groupSize) {
                lost.add("prompt " + id + ": " + indices.size() + " of " + groupSize + " samples");
            }
        }
        byPrompt.keySet().stream().filter(id -> !onTopic.containsKey(id))
                .forEach(id -> wrong.add("samples for prompt " + id + ", which is not on the prompts topic"));
        return byPrompt;
    }

    /** Scores: exactly one per sample per scorer. */
    private void scores(List<Sample> samples, List<Score> scores) {
        Map<String, Sample> byId = new HashMap<>();
        for (Sample s : samples) {
            if (byId.put(s.getSampleId(), s) != null) {
                duplicated.add("sample " + s.getSampleId() + " twice");
            }
        }
        Map<String, Long> perSampleAndScorer = count(scores, s -> s.getSampleId() + " by " + s.getScorer());
        for (String id : byId.keySet()) {
            for (String scorer : scorers) {
                long n = perSampleAndScorer.getOrDefault(id + " by " + scorer, 0L);
                if (n == 0) {
                    lost.add("score of sample " + id + " by " + scorer);
                } else if (n > 1) {
                    duplicated.add("score of sample " + id + " by " + scorer + ", " + n + " times");
                }
            }
        }
        scores.stream().filter(s -> !byId.containsKey(s.getSampleId()))
                .forEach(s -> wrong.add("score of unknown sample " + s.getSampleId()));
    }

    /** Pairs: one per group whose best and worst differ (max-min selection, margin 0), none otherwise. */
    private void pairs(Map<String, List<Sample>> samplesByPrompt, List<Score> scores, List<PreferencePair> pairs) {
        count(pairs, PreferencePair::getPairId).forEach((id, n) -> {
            if (n > 1) {
                duplicated.add("pair " + id + " on the topic " + n + " times");
            }
        });
        Map<String, Double> reward = new HashMap<>();
        scores.forEach(s -> reward.put(s.getSampleId(), s.getReward()));
        Map<String, Long> pairsPerPrompt = count(pairs.stream().filter(p -> p.getSource() != PairSource.HUMAN).toList(),
                PreferencePair::getPromptId);
        samplesByPrompt.forEach((prompt, group) -> {
            if (group.size() != groupSize || !group.stream().allMatch(s -> reward.containsKey(s.getSampleId()))) {
                return;   // already a finding above
            }
            double max = group.stream().mapToDouble(s -> reward.get(s.getSampleId())).max().orElseThrow();
            double min = group.stream().mapToDouble(s -> reward.get(s.getSampleId())).min().orElseThrow();
            Set<String> texts = group.stream().map(Sample::getResponseText).collect(Collectors.toSet());
            // max-min: the best against the worst; a tie (same reward or same text) makes no pair
            boolean expected = max > min && texts.size() > 1;
            long n = pairsPerPrompt.getOrDefault(prompt, 0L);
            if (expected && n == 0) {
                lost.add("pair for prompt " + prompt);
            } else if (n > 1) {
                duplicated.add("pair for prompt " + prompt + ", " + n + " of them");
            } else if (!expected && n == 1) {
                wrong.add("a pair for prompt " + prompt + ", whose samples tie");
            }
        });
    }

    /** The announced versions that open and verify, and how many pair ids their lineage lists. */
    private record Lineage(Set<Long> verified, int trained) {}

    /** Announced versions: each opens and verifies; their lineage lists every pair on the topic exactly once. */
    private Lineage versions(List<CheckpointAnnouncement> announcements, List<PreferencePair> pairs) throws IOException {
        Map<Long, Long> records = count(announcements.stream().filter(a -> a.getPolicyName().equals(policy)).toList(),
                CheckpointAnnouncement::getVersion);
        records.forEach((v, n) -> {
            if (n > 1) {
                duplicated.add("announcement of v" + v + ", " + n + " times");
            }
        });
        Set<Long> verified = new HashSet<>();
        List<String> trained = new ArrayList<>();
        Map<Long, CheckpointAnnouncement> byVersion = new TreeMap<>();
        announcements.stream().filter(a -> a.getPolicyName().equals(policy)).forEach(a -> byVersion.put(a.getVersion(), a));
        long previous = -1;
        for (CheckpointAnnouncement a : byVersion.values()) {
            if (a.getVersion() != previous + 1) {
                wrong.add("announced versions jump from v" + previous + " to v" + a.getVersion());
            }
            previous = a.getVersion();
            Snapshot s;
            try {
                s = store.open(a.getUri(), a.getSha256());
            } catch (IOException | RuntimeException e) {
                wrong.add("v" + a.getVersion() + " does not open and verify: " + e.getMessage());
                continue;
            }
            verified.add(a.getVersion());
            trained.addAll(LearnerSnapshot.trainedPairIds(s.dir()));
        }
        Map<String, Long> times = count(trained, id -> id);
        times.forEach((id, n) -> {
            if (n > 1) {
                duplicated.add("pair " + id + " trained " + n + " times");
            }
        });
        pairs.stream().map(PreferencePair::getPairId).distinct().filter(id -> !times.containsKey(id))
                .forEach(id -> lost.add("pair " + id + " not trained into any announced version"));
        Set<String> onTopic = pairs.stream().map(PreferencePair::getPairId).collect(Collectors.toSet());
        times.keySet().stream().filter(id -> !onTopic.contains(id)).forEach(id -> wrong.add("trained pair " + id + " is not on the topic"));
        return new Lineage(verified, trained.size());
    }

    /** Samples and reports name only verified versions; every announced version is evaluated once. */
    private void uses(List<Sample> samples, List<EvalReport> evaluations, List<CheckpointAnnouncement> announcements,
                      Set<Long> verified) {
        count(samples.stream().filter(s -> !verified.contains(s.getPolicyVersion())).toList(), Sample::getPolicyVersion)
                .forEach((v, n) -> wrong.add(n + " samples from v" + v + ", not an announced, verified version"));
        List<EvalReport> ours = evaluations.stream().filter(e -> e.getPolicyName().equals(policy)).toList();
        count(ours.stream().filter(e -> !verified.contains(e.getPolicyVersion())).toList(), EvalReport::getPolicyVersion)
                .forEach((v, n) -> wrong.add(n + " evaluations of v" + v + ", not an announced, verified version"));
        Map<Long, Long> perVersion = count(ours, EvalReport::getPolicyVersion);
        Set<Long> announced = announcements.stream().filter(a -> a.getPolicyName().equals(policy))
                .map(CheckpointAnnouncement::getVersion).collect(Collectors.toSet());
        for (long v : announced) {
            long n = perVersion.getOrDefault(v, 0L);
            if (n == 0) {
                lost.add("evaluation of v" + v);
            } else if (n > 1) {
                duplicated.add("evaluation of v" + v + ", " + n + " times");
            }
        }
    }

    private static <T, K> Map<K, Long> count(Collection<T> items, Function<T, K> key) {
        return items.stream().collect(Collectors.groupingBy(key, LinkedHashMap::new, Collectors.counting()));
    }
}

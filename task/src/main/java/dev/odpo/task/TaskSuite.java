package dev.odpo.task;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The built-in alignment task: seeded, procedurally generated problems with checkable answers,
 * partitioned into disjoint {@link Split}s.
 *
 * <p>The split of a problem is a pure function of the suite seed and the problem's content id, so it
 * does not depend on the order prompts are drawn in: a problem drawn by the SFT data builder and the
 * same problem drawn by the evaluator always land in the same split. Two suites with the same seed
 * agree on every split; changing the seed re-partitions the space.
 */
public final class TaskSuite {
    /** The seed the project's own π0, demo and benchmarks use. */
    public static final long DEFAULT_SEED = 20_260_401L;

    private static final String[] NAMES = {"Tom", "Ann", "Sam", "Mia", "Leo", "Eva", "Max", "Zoe", "Ben", "Ivy"};
    private static final String[] ITEMS = {"apples", "pens", "cards", "coins", "books", "eggs", "cups", "keys"};
    private static final String LETTERS = "abcde";
    /** Largest operand of ADDITION and SUBTRACTION. */
    private static final int MAX_OPERAND = 29;
    /** Largest number in a WORD_PROBLEM. */
    private static final int MAX_STORY_NUMBER = 9;
    /** Length range of SORTING and REVERSAL lists. */
    private static final int MIN_LIST = 3, MAX_LIST = 4;
    /** Length range of LETTER_COUNT words. */
    private static final int MIN_WORD = 3, MAX_WORD = 6;

    private final long seed;
    private final List<TaskKind> kinds;

    public TaskSuite(long seed, Set<TaskKind> kinds) {
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("a task suite needs at least one task kind");
        }
        this.seed = seed;
        this.kinds = List.copyOf(EnumSet.copyOf(kinds));
    }

    /**
     * The kinds of the standard suite: reversing lists, counting letters, word problems. The other kinds
     * (two-operand arithmetic, sorting) stay available through {@link #TaskSuite(long, Set)}; they are
     * left out of the default because each kind needs its own skill, and a 0.6 M-parameter π0 trained
     * in a few CPU minutes learns three of them well enough to give a useful ceiling but not six
     * (docs/task.md, "Why these three kinds").
     */
    public static final Set<TaskKind> STANDARD_KINDS =
            Set.copyOf(EnumSet.of(TaskKind.REVERSAL, TaskKind.LETTER_COUNT, TaskKind.WORD_PROBLEM));

    /** The standard kinds ({@link #STANDARD_KINDS}), with the given seed. */
    public TaskSuite(long seed) {
        this(seed, STANDARD_KINDS);
    }

    /** The project's default suite: {@link #STANDARD_KINDS}, {@link #DEFAULT_SEED}. */
    public static TaskSuite standard() {
        return new TaskSuite(DEFAULT_SEED);
    }

    public long seed() {
        return seed;
    }

    public List<TaskKind> kinds() {
        return kinds;
    }

    /** Which split a problem belongs to: a seeded 64-bit FNV-1a hash of its id, in 100 buckets. */
    public Split splitOf(TaskPrompt prompt) {
        long h = 0xcbf29ce484222325L ^ (seed * 0x9E3779B97F4A7C15L);
        for (int i = 0; i < prompt.id().length(); i++) {
            h ^= prompt.id().charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= (h >>> 33);
        h *= 0xff51afd7ed558ccdL;
        h ^= (h >>> 33);
        return Split.ofBucket((int) Math.floorMod(h, 100L));
    }

    /**
     * {@code n} distinct prompts from one split, drawn with the given stream seed. Deterministic
     * given (suite seed, split, n, streamSeed).
     */
    public List<TaskPrompt> prompts(Split split, int n, long streamSeed) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        Random rnd = new Random(streamSeed * 31 + split.ordinal());
        Map<String, TaskPrompt> out = new LinkedHashMap<>();
        long attempts = 0;
        long maxAttempts = 1000L + 200L * n;
        while (out.size() < n) {
            if (++attempts > maxAttempts) {
                throw new IllegalStateException("could only find " + out.size() + " distinct " + split
                        + " prompts of " + n + " requested for kinds " + kinds);
            }
            TaskPrompt p = draw(rnd);
            if (splitOf(p) == split) {
                out.putIfAbsent(p.id(), p);
            }
        }
        return new ArrayList<>(out.values());
    }

    /** The held-out evaluation set: the first {@code n} EVAL prompts for this suite's seed. */
    public List<TaskPrompt> evaluationSet(int n) {
        return prompts(Split.EVAL, n, seed);
    }

    /** An endless stream of prompts of one split (repeats allowed), e.g. the online RL prompt stream. */
    public Supplier<TaskPrompt> stream(Split split, long streamSeed) {
        Random rnd = new Random(streamSeed * 31 + split.ordinal() + 7);
        return () -> {
            while (true) {
                TaskPrompt p = draw(rnd);
                if (splitOf(p) == split) {
                    return p;
                }
            }
        };
    }

    /** One problem drawn from the whole space (any split), kinds uniformly. */
    public TaskPrompt draw(Random rnd) {
        TaskKind kind = kinds.get(rnd.nextInt(kinds.size()));
        return switch (kind) {
            case ADDITION -> {
                int a = operand(rnd), b = operand(rnd);
                yield new TaskPrompt("add-" + a + "-" + b, kind, "What is " + a + " + " + b + "?", Integer.toString(a + b));
            }
            case SUBTRACTION -> {
                int a = operand(rnd), b = operand(rnd);
                int hi = Math.max(a, b), lo = Math.min(a, b);
                yield new TaskPrompt("sub-" + hi + "-" + lo, kind, "What is " + hi + " - " + lo + "?", Integer.toString(hi - lo));
            }
            case SORTING, REVERSAL -> {
                int[] digits = digits(rnd);
                int[] result = digits.clone();
                if (kind == TaskKind.SORTING) {
                    java.util.Arrays.sort(result);
                } else {
                    reverse(result);
                }
                String key = join(digits, "");
                String verb = kind == TaskKind.SORTING ? "Sort" : "Reverse";
                String id = (kind == TaskKind.SORTING ? "sort-" : "rev-") + key;
                yield new TaskPrompt(id, kind, verb + ": " + join(digits, " "), join(result, " "));
            }
            case LETTER_COUNT -> {
                int len = MIN_WORD + rnd.nextInt(MAX_WORD - MIN_WORD + 1);
                StringBuilder word = new StringBuilder();
                for (int i = 0; i < len; i++) {
                    word.append(LETTERS.charAt(rnd.nextInt(LETTERS.length())));
                }
                char target = LETTERS.charAt(rnd.nextInt(LETTERS.length()));
                long count = word.chars().filter(c -> c == target).count();
                yield new TaskPrompt("count-" + target + "-" + word, kind, "Count " + target + " in: " + word, Long.toString(count));
            }
            case WORD_PROBLEM -> {
                String name = NAMES[rnd.nextInt(NAMES.length)];
                String item = ITEMS[rnd.nextInt(ITEMS.length)];
                int a = 1 + rnd.nextInt(MAX_STORY_NUMBER), b = 1 + rnd.nextInt(MAX_STORY_NUMBER);
                boolean gets = rnd.nextBoolean();
                if (!gets && b > a) {
                    int t = a; a = b; b = t;
                }
                String text = gets
                        ? name + " has " + a + " " + item + " and gets " + b + " more. How many " + item + "?"
                        : name + " has " + a + " " + item + " and gives away " + b + ". How many " + item + "?";
                String id = "word-" + name.toLowerCase(java.util.Locale.ROOT) + "-" + a + "-" + item + (gets ? "-gets-" : "-gives-") + b;
                yield new TaskPrompt(id, kind, text, Integer.toString(gets ? a + b : a - b));
            }
        };
    }

    /** 0..MAX_OPERAND, with one-digit operands a third of the time so small problems exist too. */
    private static int operand(Random rnd) {
        return rnd.nextInt(3) == 0 ? rnd.nextInt(10) : 10 + rnd.nextInt(MAX_OPERAND - 9);
    }

    private static int[] digits(Random rnd) {
        int[] d = new int[MIN_LIST + rnd.nextInt(MAX_LIST - MIN_LIST + 1)];
        for (int i = 0; i < d.length; i++) {
            d[i] = rnd.nextInt(10);
        }
        return d;
    }

    private static void reverse(int[] a) {
        for (int i = 0, j = a.length - 1; i < j; i++, j--) {
            int t = a[i]; a[i] = a[j]; a[j] = t;
        }
    }

    private static String join(int[] a, String sep) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < a.length; i++) {
            if (i > 0) {
                sb.append(sep);
            }
            sb.append(a[i]);
        }
        return sb.toString();
    }
}

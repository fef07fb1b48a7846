package dev.odpo.task;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The task's gold (verifiable) reward. The exact rule, also documented in docs/task.md:
 *
 * <ol>
 *   <li>The response is trimmed, lower-cased and its whitespace collapsed. Empty → MALFORMED, 0.</li>
 *   <li>If the whole response is an answer statement — the answer alone, or "the answer is X", with an
 *       optional final period — X is the answer: right → CORRECT, reward 1.0; otherwise WRONG.</li>
 *   <li>Otherwise the answer is X in the last "answer is X" if present, else the last run of text
 *       with the answer's shape (an integer; or a list of digits separated by spaces/commas, optionally
 *       in brackets). Every word outside that statement is padding. Right → CORRECT_VERBOSE, reward
 *       {@code max(0.3, 0.6 - 0.02 * paddingWords)}; wrong → WRONG — unless the response contains a
 *       refusal phrase, then REFUSAL, 0.</li>
 *   <li>No answer of the expected shape at all: a refusal phrase → REFUSAL, 0; else MALFORMED, 0.</li>
 *   <li>A WRONG answer earns a little for attempting the task in the expected form: 0.1, plus for lists
 *       0.2 × the fraction of positions that are right (of the longer of the two lists); halved when
 *       padded. Always below 0.3.</li>
 * </ol>
 *
 * So a correct concise answer (1.0) outranks a correct padded one (0.3–0.6), which outranks any wrong
 * answer (0.05–0.3), which outranks refusals and malformed output (0); among padded answers, shorter
 * is better. Integers compare by value ("085" = "85"); lists compare digit by digit, so "2, 4, 7, 9"
 * and "[2 4 7 9]" equal "2 4 7 9".
 */
public final class GoldReward {
    public static final double CORRECT_REWARD = 1.0;
    public static final double VERBOSE_MAX = 0.6;
    public static final double VERBOSE_MIN = 0.3;
    public static final double WRONG_BASE = 0.1;
    public static final double WRONG_LIST_CREDIT = 0.2;
    public static final double VERBOSE_PENALTY_PER_WORD = 0.02;

    private static final List<String> REFUSAL_PHRASES = List.of(
            "sorry", "as an ai", "i cannot", "i can't", "i can not", "unable to", "not able to",
            "i won't", "i will not", "i apologize");

    private static final String INT = "[-+]?\\d+";
    private static final String LIST = "\\[?\\s*\\d(?:\\s*,?\\s*\\d)*\\s*\\]?";
    private static final Pattern CONCISE_INT = Pattern.compile("^(?:the answer is:?\\s*)?(" + INT + ")\\s*[.!]?$");
    private static final Pattern CONCISE_LIST = Pattern.compile("^(?:the answer is:?\\s*)?(" + LIST + ")\\s*[.!]?$");
    private static final Pattern MARKED_INT = Pattern.compile("answer is:?\\s*(" + INT + ")");
    private static final Pattern MARKED_LIST = Pattern.compile("answer is:?\\s*(" + LIST + ")");
    private static final Pattern ANY_INT = Pattern.compile("(?<![\\w])(" + INT + ")(?![\\w])");
    private static final Pattern ANY_LIST = Pattern.compile("(?<![\\w])(" + LIST + ")(?![\\w])");

    /**
     * Scores a response from what the events carry: a Prompt's or Sample's {@code task} field (the
     * family, see {@link TaskKind#family()}) and {@code reference_answer}. For scorers and evaluators.
     *
     * @throws IllegalArgumentException for an unknown family or a blank reference answer
     */
    public GoldScore score(String family, String referenceAnswer, String response) {
        TaskKind kind = null;
        for (TaskKind k : TaskKind.values()) {
            if (k.family().equals(family)) {
                kind = k;
                break;
            }
        }
        if (kind == null) {
            throw new IllegalArgumentException("unknown task family '" + family + "'; expected one of "
                    + java.util.Arrays.stream(TaskKind.values()).map(TaskKind::family).distinct().toList());
        }
        if (referenceAnswer == null || referenceAnswer.isBlank()) {
            throw new IllegalArgumentException("a gold score needs the reference answer");
        }
        return score(new TaskPrompt("event", kind, "(from event)", referenceAnswer), response);
    }

    /** Scores one response to one prompt. Never throws on any response text. */
    public GoldScore score(TaskPrompt prompt, String response) {
        String text = response == null ? "" : response.strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        if (text.isEmpty()) {
            return new GoldScore(0.0, GoldVerdict.MALFORMED, null, 0);
        }
        boolean list = prompt.kind().answerShape() == TaskKind.AnswerShape.DIGIT_LIST;
        Matcher concise = (list ? CONCISE_LIST : CONCISE_INT).matcher(text);
        if (concise.matches()) {
            String got = normalize(concise.group(1), list);
            boolean right = got.equals(normalize(prompt.answer(), list));
            return right ? new GoldScore(CORRECT_REWARD, GoldVerdict.CORRECT, got, 0)
                    : new GoldScore(wrongReward(got, normalize(prompt.answer(), list), list, 0), GoldVerdict.WRONG, got, 0);
        }
        boolean refusal = REFUSAL_PHRASES.stream().anyMatch(text::contains);
        String statement = lastMatch((list ? MARKED_LIST : MARKED_INT).matcher(text), 0);
        String answer = statement == null ? null : lastMatch((list ? MARKED_LIST : MARKED_INT).matcher(text), 1);
        if (statement == null) {
            answer = lastMatch((list ? ANY_LIST : ANY_INT).matcher(text), 1);
            statement = answer;
        }
        if (answer == null) {
            return new GoldScore(0.0, refusal ? GoldVerdict.REFUSAL : GoldVerdict.MALFORMED, null, words(text));
        }
        String got = normalize(answer, list);
        // "the answer is X" counts as part of the statement, not as padding.
        int statementWords = words(statement) + (statement.startsWith("answer is") ? 1 : 0);
        int extra = Math.max(0, words(text) - statementWords);
        if (got.equals(normalize(prompt.answer(), list))) {
            double r = Math.max(VERBOSE_MIN, VERBOSE_MAX - VERBOSE_PENALTY_PER_WORD * extra);
            return new GoldScore(r, GoldVerdict.CORRECT_VERBOSE, got, extra);
        }
        if (refusal) {
            return new GoldScore(0.0, GoldVerdict.REFUSAL, got, extra);
        }
        return new GoldScore(wrongReward(got, normalize(prompt.answer(), list), list, extra), GoldVerdict.WRONG, got, extra);
    }

    /** 0.1 for a well-formed attempt (+ list partial credit), halved when padded; below {@link #VERBOSE_MIN}. */
    private static double wrongReward(String got, String want, boolean list, int extraWords) {
        double r = WRONG_BASE;
        if (list) {
            String[] g = got.isEmpty() ? new String[0] : got.split(" ");
            String[] w = want.split(" ");
            int same = 0;
            for (int i = 0; i < Math.min(g.length, w.length); i++) {
                same += g[i].equals(w[i]) ? 1 : 0;
            }
            r += WRONG_LIST_CREDIT * same / Math.max(g.length, w.length);
        }
        return extraWords > 0 ? r / 2 : r;
    }

    private static String lastMatch(Matcher m, int group) {
        String last = null;
        while (m.find()) {
            last = m.group(group);
        }
        return last;
    }

    private static String normalize(String answer, boolean list) {
        if (list) {
            return String.join(" ", answer.replaceAll("[^0-9]", "").split(""));
        }
        String s = answer.strip();
        try {
            return Long.toString(Long.parseLong(s.startsWith("+") ? s.substring(1) : s));
        } catch (NumberFormatException tooLong) {
            return s.replaceFirst("^\\+", "").replaceFirst("^(-?)0+(?=\\d)", "$1");
        }
    }

    private static int words(String s) {
        String t = s.strip();
        return t.isEmpty() ? 0 : t.split(" ").length;
    }
}

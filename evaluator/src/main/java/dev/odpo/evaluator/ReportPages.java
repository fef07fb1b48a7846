package dev.odpo.evaluator;

import dev.odpo.events.EvalReport;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;

/**
 * The report a person looks at: in one directory, {@value #REWARD_PNG} (gold and proxy reward per version),
 * {@value #REWARD_KL_PNG} (gold reward against KL to the reference, version by version: the reward–KL
 * curve) and {@value #INDEX_HTML} (both plots and a table of every figure). Rewritten whole after each
 * version; each file is replaced atomically, so a reader never sees half of one.
 *
 * <p>It holds the reports of one policy and one evaluation set (one {@link EvaluationSpec#label()}): figures
 * measured another way are not comparable and are left out.
 */
public final class ReportPages {

    public static final String INDEX_HTML = "index.html";
    public static final String REWARD_PNG = "reward.png";
    public static final String REWARD_KL_PNG = "reward-kl.png";
    private static final int WIDTH = 800;
    private static final int HEIGHT = 480;

    private final Path dir;
    private final String policyName;
    private final String evalSet;
    private final TreeMap<Long, EvalReport> byVersion = new TreeMap<>();

    /**
     * @param dir     where the files go (created on first write)
     * @param evalSet the evaluation set whose reports are shown
     */
    public ReportPages(Path dir, String policyName, String evalSet) {
        this.dir = dir;
        this.policyName = policyName;
        this.evalSet = evalSet;
    }

    public Path dir() {
        return dir;
    }

    /** Adds the reports of this policy and evaluation set (a later report of a version replaces an earlier one); true if any was. */
    public boolean addAll(Collection<EvalReport> reports) {
        boolean added = false;
        for (EvalReport r : reports) {
            if (r.getPolicyName().equals(policyName) && r.getEvalSet().equals(evalSet)) {
                byVersion.put(r.getPolicyVersion(), r);
                added = true;
            }
        }
        return added;
    }

    /** The reports shown, oldest version first. */
    public List<EvalReport> reports() {
        return List.copyOf(byVersion.values());
    }

    /** Writes the plots and the page. */
    public void write() throws IOException {
        Files.createDirectories(dir);
        List<EvalReport> reports = reports();
        if (!reports.isEmpty()) {
            replace(REWARD_PNG, BitmapEncoder.getBitmapBytes(rewardChart(reports), BitmapEncoder.BitmapFormat.PNG));
            replace(REWARD_KL_PNG, BitmapEncoder.getBitmapBytes(rewardKlChart(reports), BitmapEncoder.BitmapFormat.PNG));
        }
        replace(INDEX_HTML, html(reports).getBytes(StandardCharsets.UTF_8));
    }

    /** Gold reward (sampled and greedy) per version; the proxy reward, on its own scale, on the right axis. */
    static XYChart rewardChart(List<EvalReport> reports) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Reward per version")
                .xAxisTitle("policy version").yAxisTitle("gold reward").build();
        style(chart);
        double[] versions = reports.stream().mapToDouble(EvalReport::getPolicyVersion).toArray();
        chart.addSeries("gold reward, sampled", versions, reports.stream().mapToDouble(EvalReport::getGoldReward).toArray());
        chart.addSeries("gold reward, greedy", versions,
                reports.stream().mapToDouble(r -> metric(r, EvalFigures.GREEDY_GOLD_REWARD)).toArray());
        List<EvalReport> withProxy = reports.stream().filter(r -> r.getProxyReward() != null).toList();
        if (!withProxy.isEmpty()) {
            XYSeries proxy = chart.addSeries("proxy reward (right axis)",
                    withProxy.stream().mapToDouble(EvalReport::getPolicyVersion).toArray(),
                    withProxy.stream().mapToDouble(EvalReport::getProxyReward).toArray());
            proxy.setYAxisGroup(1);
            chart.setYAxisGroupTitle(1, "proxy reward");
            chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        }
        return chart;
    }

    /** Gold reward against KL(π‖π_ref), one point per version, joined in version order and labelled. */
    static XYChart rewardKlChart(List<EvalReport> reports) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Reward against KL to the reference")
                .xAxisTitle("KL(pi || pi_ref), nats per response").yAxisTitle("gold reward, sampled").build();
        style(chart);
        double[] kl = reports.stream().mapToDouble(EvalReport::getKlToReference).toArray();
        double[] gold = reports.stream().mapToDouble(EvalReport::getGoldReward).toArray();
        chart.addSeries("versions", kl, gold);
        chart.getStyler().setLegendVisible(false);
        // each label a little above its point, so that it does not hide the marker
        double lift = 0.04 * Math.max(1e-3, Arrays.stream(gold).max().orElse(0) - Arrays.stream(gold).min().orElse(0));
        for (int i = 0; i < reports.size(); i++) {
            chart.addAnnotation(new AnnotationText("v" + reports.get(i).getPolicyVersion(), kl[i], gold[i] + lift, false));
        }
        return chart;
    }

    private static void style(XYChart chart) {
        chart.getStyler().setChartBackgroundColor(Color.WHITE).setPlotBackgroundColor(Color.WHITE)
                .setLegendPosition(Styler.LegendPosition.OutsideS).setMarkerSize(7);
    }

    /** The page: both plots and one row per version. */
    String html(List<EvalReport> reports) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
                .append("<meta http-equiv=\"refresh\" content=\"30\">\n")
                .append("<title>odpo evaluation: ").append(escape(policyName)).append("</title>\n")
                .append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}")
                .append("img{max-width:48%;margin-right:1%}</style></head><body>\n")
                .append("<h1>Evaluation of policy ").append(escape(policyName)).append("</h1>\n")
                .append("<p>Held-out set <code>").append(escape(evalSet)).append("</code>. Sampled figures are of ")
                .append("responses drawn at the set's temperature; win rates are against version 0 on the same prompts ")
                .append("with the same seeds, ties counted half; J = gold reward &minus; &beta;&middot;KL. ")
                .append("The page reloads every 30 s.</p>\n");
        if (reports.isEmpty()) {
            h.append("<p>No version has been evaluated yet.</p>\n");
        } else {
            long stamp = reports.get(reports.size() - 1).getPolicyVersion();
            h.append("<p><img src=\"").append(REWARD_PNG).append("?v=").append(stamp).append("\" alt=\"reward per version\">")
                    .append("<img src=\"").append(REWARD_KL_PNG).append("?v=").append(stamp)
                    .append("\" alt=\"reward against KL\"></p>\n");
            h.append(table(reports));
        }
        h.append("</body></html>\n");
        return h.toString();
    }

    private static String table(List<EvalReport> reports) {
        List<String> head = List.of("version", "pairs trained", "gold reward", "accuracy", "greedy gold", "greedy acc.",
                "KL", "&beta;", "J", "ref.", "win rate vs v0", "proxy reward", "tokens", "refusals", "distinct",
                "evaluated at");
        StringBuilder t = new StringBuilder("<table>\n<tr>");
        head.forEach(c -> t.append("<th>").append(c).append("</th>"));
        t.append("</tr>\n");
        for (EvalReport r : reports) {
            List<String> row = new ArrayList<>();
            row.add(Long.toString(r.getPolicyVersion()));
            row.add(whole(r.getMetrics().get(EvalFigures.PAIRS_TRAINED)));
            row.add(fixed(r.getGoldReward()));
            row.add(fixed(r.getAccuracy()));
            row.add(fixed(r.getMetrics().get(EvalFigures.GREEDY_GOLD_REWARD)));
            row.add(fixed(r.getMetrics().get(EvalFigures.GREEDY_ACCURACY)));
            row.add(fixed(r.getKlToReference()));
            row.add(fixed(r.getBeta()));
            row.add(fixed(r.getObjective()));
            row.add(r.getReferenceVersion() == null ? "" : "v" + r.getReferenceVersion());
            row.add(fixed(r.getMetrics().get(EvalFigures.WIN_RATE)));
            row.add(fixed(r.getProxyReward()));
            row.add(r.getMeanResponseTokens() == null ? "" : String.format(Locale.ROOT, "%.1f", r.getMeanResponseTokens()));
            row.add(fixed(r.getMetrics().get(EvalFigures.REFUSAL_RATE)));
            row.add(fixed(r.getMetrics().get(EvalFigures.DISTINCT)));
            row.add(escape(r.getCreatedAt().toString()));
            t.append("<tr>");
            row.forEach(c -> t.append("<td>").append(c).append("</td>"));
            t.append("</tr>\n");
        }
        return t.append("</table>\n").toString();
    }

    private static double metric(EvalReport r, String name) {
        Double v = r.getMetrics().get(name);
        return v == null ? Double.NaN : v;
    }

    private static String fixed(Double v) {
        return v == null ? "" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String whole(Double v) {
        return v == null ? "" : String.format(Locale.ROOT, "%d", v.longValue());
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Writes {@code name} through a temporary sibling and renames it into place. */
    private void replace(String name, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(dir, "." + name, ".tmp");
        try {
            Files.write(tmp, bytes);
            if (Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
                // readable by whoever serves or opens the report, like any file written the usual way
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            }
            try {
                Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}

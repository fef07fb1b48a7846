package dev.odpo.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reward–KL plots as standalone SVG: gold reward (y) against KL(π_θ‖π0) (x), the frontier the DPO family
 * trades along. {@link #arms} draws one point per arm with its 95 % intervals as bars; {@link #trajectories}
 * draws each run's path over the pairs it was trained on, from π0.
 */
public final class RewardKlPlot {

    /** One arm's mean position with its intervals. */
    public record ArmPoint(String arm, Interval kl, Interval gold) {}

    /** One run's path: (KL, gold reward) after each evaluation, π0 first. */
    public record Trajectory(String arm, long seed, List<double[]> points) {}

    private static final String KL_LABEL = "KL(π_θ ‖ π0), nats per response";
    private static final String GOLD_LABEL = "gold reward (T = 1)";
    private static final int W = 760;
    private static final int H = 500;
    private static final int LEFT = 70;
    private static final int RIGHT = 190;
    private static final int TOP = 40;
    private static final int BOTTOM = 55;
    private static final String[] PALETTE = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
        "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173",
        "#3182bd", "#000000"};

    private RewardKlPlot() {
    }

    /** The color of the i-th arm of the report's order, the same in every plot. */
    static String color(int i) {
        return PALETTE[Math.floorMod(i, PALETTE.length)];
    }

    /** One point per arm, 95 % bars in both directions, labelled. */
    public static String arms(String title, List<ArmPoint> points, List<String> order) {
        return arms(title, KL_LABEL, GOLD_LABEL, points, order);
    }

    /** {@link #arms} with other axis labels (e.g. differences to a baseline). */
    public static String arms(String title, String xLabel, String yLabel, List<ArmPoint> points, List<String> order) {
        List<double[]> extent = new ArrayList<>();
        for (ArmPoint p : points) {
            extent.add(new double[] {p.kl().low(), p.gold().low()});
            extent.add(new double[] {p.kl().high(), p.gold().high()});
        }
        Axes ax = Axes.of(extent);
        StringBuilder s = ax.open(title, xLabel, yLabel);
        int row = 0;
        for (ArmPoint p : points) {
            String c = color(order.indexOf(p.arm()));
            double x = ax.x(p.kl().mean());
            double y = ax.y(p.gold().mean());
            s.append(line(ax.x(p.kl().low()), y, ax.x(p.kl().high()), y, c, 1.5));
            s.append(line(x, ax.y(p.gold().low()), x, ax.y(p.gold().high()), c, 1.5));
            s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>%n", x, y, c));
            s.append(ax.legend(row++, p.arm() + " (n=" + p.gold().n() + ")", c));
        }
        return s.append("</svg>\n").toString();
    }

    /** Each run's path over the pairs, one color per arm. */
    public static String trajectories(String title, List<Trajectory> runs, List<String> order) {
        List<double[]> extent = new ArrayList<>();
        runs.forEach(r -> extent.addAll(r.points()));
        Axes ax = Axes.of(extent);
        StringBuilder s = ax.open(title, KL_LABEL, GOLD_LABEL);
        List<String> seen = new ArrayList<>();
        for (Trajectory r : runs) {
            String c = color(order.indexOf(r.arm()));
            StringBuilder pts = new StringBuilder();
            for (double[] p : r.points()) {
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", ax.x(p[0]), ax.y(p[1])));
            }
            s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.3\" "
                    + "stroke-opacity=\"0.8\"/>%n", pts.toString().trim(), c));
            double[] end = r.points().get(r.points().size() - 1);
            s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>%n",
                    ax.x(end[0]), ax.y(end[1]), c));
            if (!seen.contains(r.arm())) {
                s.append(ax.legend(seen.size(), r.arm(), c));
                seen.add(r.arm());
            }
        }
        return s.append("</svg>\n").toString();
    }

    private static String line(double x1, double y1, double x2, double y2, String color, double width) {
        return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                + "stroke-width=\"%.1f\"/>%n", x1, y1, x2, y2, color, width);
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** The data ranges (padded, on round ticks) and the mapping to the canvas. */
    private record Axes(double x0, double x1, double y0, double y1, double xStep, double yStep) {

        static Axes of(List<double[]> points) {
            double xl = Double.POSITIVE_INFINITY, xh = Double.NEGATIVE_INFINITY;
            double yl = Double.POSITIVE_INFINITY, yh = Double.NEGATIVE_INFINITY;
            for (double[] p : points) {
                if (Double.isFinite(p[0]) && Double.isFinite(p[1])) {
                    xl = Math.min(xl, p[0]);
                    xh = Math.max(xh, p[0]);
                    yl = Math.min(yl, p[1]);
                    yh = Math.max(yh, p[1]);
                }
            }
            if (xl > xh) {
                xl = 0;
                xh = 1;
                yl = 0;
                yh = 1;
            }
            double xs = step(xh - xl);
            double ys = step(yh - yl);
            return new Axes(Math.floor(xl / xs) * xs, Math.max(Math.ceil(xh / xs) * xs, Math.floor(xl / xs) * xs + xs),
                    Math.floor(yl / ys) * ys, Math.max(Math.ceil(yh / ys) * ys, Math.floor(yl / ys) * ys + ys), xs, ys);
        }

        /** A round tick step giving about five ticks over {@code range}. */
        static double step(double range) {
            if (!(range > 0)) {
                return 0.1;
            }
            double raw = range / 5;
            double mag = Math.pow(10, Math.floor(Math.log10(raw)));
            double f = raw / mag;
            return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
        }

        double x(double v) {
            return LEFT + (v - x0) / (x1 - x0) * (W - LEFT - RIGHT);
        }

        double y(double v) {
            return H - BOTTOM - (v - y0) / (y1 - y0) * (H - TOP - BOTTOM);
        }

        StringBuilder open(String title, String xLabel, String yLabel) {
            StringBuilder s = new StringBuilder();
            s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                    + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H, W, H));
            s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", W, H));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"14\">%s</text>%n", LEFT, escape(title)));
            for (int i = 0; x0 + i * xStep <= x1 + xStep * 1e-6; i++) {
                double v = x0 + i * xStep;
                s.append(line(x(v), y(y0), x(v), y(y1), "#e5e5e5", 1));
                s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                        x(v), H - BOTTOM + 18, tick(v, xStep)));
            }
            for (int i = 0; y0 + i * yStep <= y1 + yStep * 1e-6; i++) {
                double v = y0 + i * yStep;
                s.append(line(x(x0), y(v), x(x1), y(v), "#e5e5e5", 1));
                s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                        LEFT - 6, y(v) + 4, tick(v, yStep)));
            }
            s.append(line(x(x0), y(y0), x(x1), y(y0), "#333333", 1));
            s.append(line(x(x0), y(y0), x(x0), y(y1), "#333333", 1));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    (x(x0) + x(x1)) / 2, H - 14, escape(xLabel)));
            s.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 16 "
                    + "%.1f)\">%s</text>%n", (y(y0) + y(y1)) / 2, (y(y0) + y(y1)) / 2, escape(yLabel)));
            return s;
        }

        String legend(int row, String label, String color) {
            int lx = W - RIGHT + 16;
            int ly = TOP + 10 + row * 18;
            return String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", lx, ly - 9, color, lx + 15, ly, escape(label));
        }

        static String tick(double v, double step) {
            int digits = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
            return String.format(Locale.ROOT, "%." + digits + "f", Math.abs(v) < step * 1e-6 ? 0 : v);
        }
    }
}

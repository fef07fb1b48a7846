package dev.odpo.cli.monitor;

import java.util.ArrayDeque;
import java.util.List;

/** A bounded time series: the newest {@link #CAPACITY} points, so a monitor left running for days stays small. */
final class Series {

    /** At one point a second, ten minutes. */
    static final int CAPACITY = 600;

    /**
     * One point of a series.
     *
     * @param x seconds since the epoch, or a learner step
     * @param y the value
     */
    public record Point(double x, double y) {}

    private final ArrayDeque<Point> points = new ArrayDeque<>();

    void add(double x, double y) {
        if (!Double.isFinite(y)) {
            return;
        }
        if (!points.isEmpty() && points.peekLast().x() == x) {
            points.pollLast();   // the same step reported twice keeps the newer value
        }
        points.addLast(new Point(x, y));
        while (points.size() > CAPACITY) {
            points.pollFirst();
        }
    }

    List<Point> points() {
        return List.copyOf(points);
    }
}

package dev.odpo.study;

/**
 * A mean over independent runs with its 95 % confidence interval from Student's t-distribution with n − 1
 * degrees of freedom: mean ± t₀.₉₇₅(n − 1) · s / √n, s the sample standard deviation. With one run the
 * half-width is NaN (no interval).
 *
 * @param mean      the sample mean
 * @param halfWidth half the interval's width; NaN when n &lt; 2
 * @param n         runs
 */
public record Interval(double mean, double halfWidth, int n) {

    /** t₀.₉₇₅ for 1 … 30 degrees of freedom. */
    private static final double[] T975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060,
        2.056, 2.052, 2.048, 2.045, 2.042};

    /** The interval of {@code xs} (NaN values are left out). */
    public static Interval of(double... xs) {
        int n = 0;
        double sum = 0;
        for (double x : xs) {
            if (!Double.isNaN(x)) {
                n++;
                sum += x;
            }
        }
        if (n == 0) {
            return new Interval(Double.NaN, Double.NaN, 0);
        }
        double mean = sum / n;
        if (n < 2) {
            return new Interval(mean, Double.NaN, n);
        }
        double ss = 0;
        for (double x : xs) {
            if (!Double.isNaN(x)) {
                ss += (x - mean) * (x - mean);
            }
        }
        double sd = Math.sqrt(ss / (n - 1));
        return new Interval(mean, t975(n - 1) * sd / Math.sqrt(n), n);
    }

    /** The 0.975 quantile of Student's t with {@code df} degrees of freedom (beyond 30: a Cornish–Fisher step from 1.96). */
    public static double t975(int df) {
        if (df < 1) {
            throw new IllegalArgumentException("degrees of freedom must be >= 1, got " + df);
        }
        if (df <= T975.length) {
            return T975[df - 1];
        }
        double z = 1.959964;
        return z + (z * z * z + z) / (4.0 * df);
    }

    public double low() {
        return mean - (Double.isNaN(halfWidth) ? 0 : halfWidth);
    }

    public double high() {
        return mean + (Double.isNaN(halfWidth) ? 0 : halfWidth);
    }

    /** Whether the two intervals share no value (both need n &ge; 2). */
    public boolean separatedFrom(Interval other) {
        return !Double.isNaN(halfWidth) && !Double.isNaN(other.halfWidth) && (high() < other.low() || other.high() < low());
    }

    /** "0.312 ± 0.021", or "0.312" for a single run, with {@code digits} decimals. */
    public String format(int digits) {
        if (n == 0) {
            return "–";
        }
        String f = "%." + digits + "f";
        String m = String.format(java.util.Locale.ROOT, f, mean);
        return Double.isNaN(halfWidth) ? m : m + " ± " + String.format(java.util.Locale.ROOT, f, halfWidth);
    }
}

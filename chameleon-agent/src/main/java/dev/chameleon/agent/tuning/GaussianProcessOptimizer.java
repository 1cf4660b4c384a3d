package dev.chameleon.agent.tuning;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.hipparchus.distribution.continuous.NormalDistribution;
import org.hipparchus.linear.CholeskyDecomposition;
import org.hipparchus.linear.DecompositionSolver;
import org.hipparchus.linear.MatrixUtils;
import org.hipparchus.linear.RealMatrix;
import org.hipparchus.linear.RealVector;

/**
 * Bayesian optimisation with a Gaussian process and expected improvement (the method of
 * OtterTune, MLOS and scikit-optimize's {@code gp_minimize}), for a handful of expensive, noisy
 * trials over a discrete domain.
 *
 * <ul>
 * <li>Each knob's index is scaled to [0, 1] (a range's values are evenly spaced, so this is the
 * value scaled; choices are taken in the order written).</li>
 * <li>The first {@code initial} trials are random (a space-filling start); after them the scores
 * are standardised and fitted with a Matérn 5/2 kernel whose length scale and noise are chosen
 * by the largest log marginal likelihood over a small grid (Cholesky solves from Hipparchus).</li>
 * <li>The next point is the untried one with the largest expected improvement over the best mean
 * seen (ξ = 0.01): every point when the domain has at most {@value #ENUMERATE} points, else
 * {@value #SAMPLES} random points plus every one-knob neighbour of the best three trials.</li>
 * </ul>
 * Why this and not a bandit: the knobs' values are ordered and nearby values perform alike, which
 * a GP uses and independent arms cannot; a budget of 10-30 trials cannot pull every arm of a
 * product space even once. Deterministic for a given seed.
 */
public final class GaussianProcessOptimizer implements Optimizer {
    static final int ENUMERATE = 20_000;
    static final int SAMPLES = 4_000;
    private static final double[] LENGTHS = {0.1, 0.2, 0.35, 0.6, 1.0, 2.0};
    private static final double[] NOISES = {1e-3, 0.05, 0.2, 0.5};
    private static final NormalDistribution NORMAL = new NormalDistribution(0, 1);

    private final SplittableRandom random;
    private final int initial;

    /**
     * @param seed    seeds the random start and the candidate sampling
     * @param initial random trials before the model is used, at least 1
     */
    public GaussianProcessOptimizer(long seed, int initial) {
        if (initial < 1) {
            throw new IllegalArgumentException("initial must be at least 1, found " + initial);
        }
        this.random = new SplittableRandom(seed);
        this.initial = initial;
    }

    @Override
    public String name() {
        return "gp-ei";
    }

    @Override
    public int[] next(int[] sizes, List<int[]> tried, List<Double> scores) {
        if (tried.size() < initial || tried.size() >= Optimizer.domainSize(sizes)) {
            return RandomSearch.untried(sizes, tried, random);
        }
        double[][] x = tried.stream().map(p -> scale(p, sizes)).toArray(double[][]::new);
        double mean = scores.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        double sd = Math.sqrt(scores.stream().mapToDouble(s -> (s - mean) * (s - mean)).sum() / Math.max(1, scores.size() - 1));
        double[] y = scores.stream().mapToDouble(s -> sd > 0 ? (s - mean) / sd : 0).toArray();
        Model model = fit(x, y);
        double best = Double.NEGATIVE_INFINITY;
        for (double[] xi : x) {
            best = Math.max(best, model.mean(xi)); // the best mean seen: robust to a lucky noisy measurement
        }
        int[] choice = null;
        double bestEi = Double.NEGATIVE_INFINITY;
        for (int[] c : candidates(sizes, tried, scores)) {
            double[] xc = scale(c, sizes);
            double mu = model.mean(xc);
            double s = Math.sqrt(Math.max(1e-12, model.variance(xc)));
            double z = (mu - best - 0.01) / s;
            double ei = (mu - best - 0.01) * NORMAL.cumulativeProbability(z) + s * NORMAL.density(z);
            if (ei > bestEi) {
                bestEi = ei;
                choice = c;
            }
        }
        return choice != null ? choice : RandomSearch.untried(sizes, tried, random);
    }

    private List<int[]> candidates(int[] sizes, List<int[]> tried, List<Double> scores) {
        List<int[]> out = new ArrayList<>();
        long n = Optimizer.domainSize(sizes);
        if (n <= ENUMERATE) {
            int[] p = new int[sizes.length];
            for (long i = 0; i < n; i++) {
                out.add(p.clone());
                for (int k = 0; k < sizes.length && ++p[k] == sizes[k]; k++) {
                    p[k] = 0;
                }
            }
        } else {
            for (int i = 0; i < SAMPLES; i++) {
                int[] p = new int[sizes.length];
                for (int k = 0; k < sizes.length; k++) {
                    p[k] = random.nextInt(sizes[k]);
                }
                out.add(p);
            }
            Integer[] order = new Integer[tried.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Double.compare(scores.get(b), scores.get(a)));
            for (int r = 0; r < Math.min(3, order.length); r++) {
                int[] b = tried.get(order[r]);
                for (int k = 0; k < sizes.length; k++) {
                    for (int d = -2; d <= 2; d++) {
                        int v = b[k] + d * Math.max(1, sizes[k] / 20);
                        if (d != 0 && v >= 0 && v < sizes[k]) {
                            int[] q = b.clone();
                            q[k] = v;
                            out.add(q);
                        }
                    }
                }
            }
        }
        out.removeIf(c -> tried.stream().anyMatch(t -> Arrays.equals(t, c)));
        return out;
    }

    static double[] scale(int[] p, int[] sizes) {
        double[] x = new double[p.length];
        for (int k = 0; k < p.length; k++) {
            x[k] = sizes[k] > 1 ? p[k] / (double) (sizes[k] - 1) : 0;
        }
        return x;
    }

    /** The fitted GP: the hyperparameters with the largest log marginal likelihood on the grid. */
    static Model fit(double[][] x, double[] y) {
        Model best = null;
        for (double l : LENGTHS) {
            for (double noise : NOISES) {
                Model m = Model.of(x, y, l, noise);
                if (m != null && (best == null || m.logLikelihood > best.logLikelihood)) {
                    best = m;
                }
            }
        }
        return best;
    }

    /** A GP posterior with unit signal variance. */
    static final class Model {
        final double[][] x;
        final double length;
        final DecompositionSolver solver;
        final RealVector alpha;
        final double logLikelihood;

        private Model(double[][] x, double length, DecompositionSolver solver, RealVector alpha, double logLikelihood) {
            this.x = x;
            this.length = length;
            this.solver = solver;
            this.alpha = alpha;
            this.logLikelihood = logLikelihood;
        }

        static Model of(double[][] x, double[] y, double length, double noise) {
            int n = x.length;
            RealMatrix k = MatrixUtils.createRealMatrix(n, n);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    k.setEntry(i, j, kernel(x[i], x[j], length) + (i == j ? noise + 1e-8 : 0));
                }
            }
            CholeskyDecomposition chol;
            try {
                chol = new CholeskyDecomposition(k, 1e-12, 1e-14);
            } catch (RuntimeException e) {
                return null; // not positive definite at this noise: another grid point will do
            }
            DecompositionSolver solver = chol.getSolver();
            RealVector yv = MatrixUtils.createRealVector(y);
            RealVector alpha = solver.solve(yv);
            double logDet = 0;
            RealMatrix l = chol.getL();
            for (int i = 0; i < n; i++) {
                logDet += 2 * Math.log(l.getEntry(i, i));
            }
            double ll = -0.5 * yv.dotProduct(alpha) - 0.5 * logDet - 0.5 * n * Math.log(2 * Math.PI);
            return new Model(x, length, solver, alpha, ll);
        }

        RealVector cross(double[] p) {
            double[] c = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                c[i] = kernel(x[i], p, length);
            }
            return MatrixUtils.createRealVector(c);
        }

        double mean(double[] p) {
            return cross(p).dotProduct(alpha);
        }

        double variance(double[] p) {
            RealVector c = cross(p);
            return 1.0 - c.dotProduct(solver.solve(c));
        }

        /** Matérn 5/2. */
        static double kernel(double[] a, double[] b, double length) {
            double d2 = 0;
            for (int i = 0; i < a.length; i++) {
                d2 += (a[i] - b[i]) * (a[i] - b[i]);
            }
            double r = Math.sqrt(5 * d2) / length;
            return (1 + r + r * r / 3) * Math.exp(-r);
        }
    }
}

package dev.chameleon.agent.tuning;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * {@link GaussianProcessOptimizer} and {@link RandomSearch} on fixed functions (no machine, no
 * timing): the GP finds a smooth optimum in fewer trials than random search, neither repeats a
 * point, and both are deterministic for a seed.
 */
class OptimizerTest {
    static final int[] SIZES = {21, 21, 3};

    /** A smooth bump at (14, 6) in the first two knobs, plus a choice worth a little. */
    static double bump(int[] p) {
        double dx = (p[0] - 14) / 20.0;
        double dy = (p[1] - 6) / 20.0;
        return 100 * Math.exp(-(dx * dx + dy * dy) / 0.05) + (p[2] == 1 ? 5 : 0);
    }

    static double bestAfter(Optimizer o, int trials, ToDoubleFunction<int[]> f, List<int[]> tried) {
        List<Double> scores = new ArrayList<>();
        double best = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < trials; i++) {
            int[] p = o.next(SIZES, tried, scores);
            for (int k = 0; k < SIZES.length; k++) {
                assertThat(p[k]).isBetween(0, SIZES[k] - 1);
            }
            tried.add(p);
            double s = f.applyAsDouble(p);
            scores.add(s);
            best = Math.max(best, s);
        }
        return best;
    }

    @Test
    void theGaussianProcessBeatsRandomSearchOnASmoothFunctionWithTheSameBudget() {
        double gp = 0;
        double random = 0;
        for (long seed = 1; seed <= 8; seed++) {
            gp += bestAfter(new GaussianProcessOptimizer(seed, 4), 15, OptimizerTest::bump, new ArrayList<>());
            random += bestAfter(new RandomSearch(seed), 15, OptimizerTest::bump, new ArrayList<>());
        }
        // mean best over 8 seeds; the optimum is 105
        assertThat(gp / 8).as("GP mean best %s vs random %s", gp / 8, random / 8).isGreaterThan(random / 8 + 10).isGreaterThan(85);
    }

    @Test
    void neitherRepeatsAPointWhileOneIsLeft() {
        for (Optimizer o : List.of(new GaussianProcessOptimizer(3, 2), new RandomSearch(3))) {
            List<int[]> tried = new ArrayList<>();
            int[] small = {3, 2};
            List<Double> scores = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int[] p = o.next(small, tried, scores);
                tried.add(p);
                scores.add((double) (p[0] + p[1]));
            }
            Set<String> distinct = new HashSet<>();
            tried.forEach(p -> distinct.add(Arrays.toString(p)));
            assertThat(distinct).as(o.name()).hasSize(6);
        }
    }

    @Test
    void theSameSeedGivesTheSameTrials() {
        List<int[]> a = new ArrayList<>();
        List<int[]> b = new ArrayList<>();
        bestAfter(new GaussianProcessOptimizer(7, 3), 8, OptimizerTest::bump, a);
        bestAfter(new GaussianProcessOptimizer(7, 3), 8, OptimizerTest::bump, b);
        assertThat(a).zipSatisfy(b, (x, y) -> assertThat(x).containsExactly(y));
    }
}

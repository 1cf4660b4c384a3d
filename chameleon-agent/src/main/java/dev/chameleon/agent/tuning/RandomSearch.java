package dev.chameleon.agent.tuning;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Uniform random search over the knobs' values, never repeating a point while an untried one is left: the baseline optimisers are compared with. */
public final class RandomSearch implements Optimizer {
    private final SplittableRandom random;

    public RandomSearch(long seed) {
        this.random = new SplittableRandom(seed);
    }

    @Override
    public int[] next(int[] sizes, List<int[]> tried, List<Double> scores) {
        return untried(sizes, tried, random);
    }

    @Override
    public String name() {
        return "random";
    }

    /** A uniformly random point not in {@code tried} (any point once the domain is exhausted). */
    static int[] untried(int[] sizes, List<int[]> tried, SplittableRandom random) {
        boolean exhausted = tried.size() >= Optimizer.domainSize(sizes);
        for (int attempt = 0; attempt < 10_000; attempt++) {
            int[] p = new int[sizes.length];
            for (int k = 0; k < sizes.length; k++) {
                p[k] = random.nextInt(sizes[k]);
            }
            if (exhausted || tried.stream().noneMatch(t -> Arrays.equals(t, p))) {
                return p;
            }
        }
        // a nearly exhausted domain: walk it in order for the first untried point
        int[] p = new int[sizes.length];
        while (true) {
            int[] q = p.clone();
            if (tried.stream().noneMatch(t -> Arrays.equals(t, q))) {
                return q;
            }
            int k = 0;
            while (k < sizes.length && ++p[k] == sizes[k]) {
                p[k++] = 0;
            }
            if (k == sizes.length) {
                return q;
            }
        }
    }
}

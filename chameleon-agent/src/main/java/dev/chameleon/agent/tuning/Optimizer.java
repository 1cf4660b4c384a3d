package dev.chameleon.agent.tuning;

import java.util.List;

/**
 * Proposes the next trial from the ones measured so far. A point is one index per knob into that
 * knob's values ({@code Tuning.Knob.values()}); a score is the trial's mean objective, larger is
 * better (a minimised objective is negated before it gets here). Implementations never propose a
 * point already tried while an untried one is left; they are deterministic for a given seed.
 */
public interface Optimizer {
    /**
     * The next point to try.
     *
     * @param sizes  how many values each knob has (each at least 2)
     * @param tried  the points tried so far, in order
     * @param scores their scores, same order; a trial the guardrail stopped has the score of its bad measurement
     * @return one index per knob, each {@code 0 <= i < sizes[k]}
     */
    int[] next(int[] sizes, List<int[]> tried, List<Double> scores);

    /** The name the report shows ({@code gp-ei}, {@code random}). */
    String name();

    /** How many points a domain of {@code sizes} holds, capped at {@link Long#MAX_VALUE}. */
    static long domainSize(int[] sizes) {
        long n = 1;
        for (int s : sizes) {
            if (n > Long.MAX_VALUE / s) {
                return Long.MAX_VALUE;
            }
            n *= s;
        }
        return n;
    }
}

package dev.chameleon.agent.loop;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded polling for tests that wait on real processes and threads: a bound for a loaded machine, never a timing claim. */
public final class Poll {
    /** How long {@link #until} waits at most. */
    public static final Duration BOUND = Duration.ofSeconds(30);

    private Poll() {
    }

    /** True as soon as {@code condition} holds, checked every 50 ms; false when it still does not after {@link #BOUND}. */
    public static boolean until(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return condition.getAsBoolean();
    }
}

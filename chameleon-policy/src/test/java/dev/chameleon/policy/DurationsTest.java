package dev.chameleon.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DurationsTest {
    private static final Durations.Bounds ANY = new Durations.Bounds(Duration.ZERO, Duration.ofDays(1000), true);

    static String problem(String text, Durations.Bounds b) {
        return Durations.read(text, b).problem().orElse(null);
    }

    @Test
    void readsPairsLargestUnitFirst() {
        assertThat(Durations.read("1h30m", ANY).value()).contains(Duration.ofMinutes(90));
        assertThat(Durations.read(" 90s ", ANY).value()).contains(Duration.ofSeconds(90));
        assertThat(Durations.read("1s500ms", ANY).value()).contains(Duration.ofMillis(1500));
        assertThat(Durations.read("0s", Durations.HOLD).value()).contains(Duration.ZERO);
        assertThat(List.of("", "5", "m", "5m1h", "-5m", "5 m", "5M", "1d", "PT5M", "5s5s", "1.5s"))
                .allSatisfy(t -> assertThat(problem(t, ANY)).as(t).startsWith("must be a duration with a unit (h, m, s or ms"));
    }

    @Test
    void boundsAreThePerFieldRule() {
        assertThat(problem("25h", Durations.HOLD)).isEqualTo("must be at most 24h, found '25h'");
        assertThat(problem("24h1s", Durations.HOLD)).isEqualTo("must be at most 24h, found '24h1s'");
        assertThat(problem("999999999999999999999999999h", Durations.HOLD)).startsWith("must be at most 24h");
        assertThat(problem("999999999999999999999999999ms", ANY)).startsWith("must be at most 24000h");
        assertThat(problem("500ms", Durations.HOLD)).contains("ms is not taken here");
        assertThat(problem("0s", Durations.CHECK_TIMEOUT)).isEqualTo("must be more than 0s, found '0s'");
        assertThat(problem("10m1ms", Durations.CHECK_TIMEOUT)).isEqualTo("must be at most 10m, found '10m1ms'");
        assertThat(problem("5", Durations.SETTLE)).endsWith("a number alone has no unit: write 5s or 5m");
        assertThat(Durations.read("500ms", Durations.SETTLE).value()).contains(Duration.ofMillis(500));
    }

    @Test
    void textWritesWhatReadReads() {
        for (Duration d : List.of(Duration.ZERO, Duration.ofMillis(1500), Duration.ofMinutes(90), Duration.ofHours(168), Duration.ofMillis(3_723_004))) {
            assertThat(Durations.read(Durations.text(d), ANY).value()).contains(d);
        }
        assertThat(Durations.text(Duration.ofMillis(3_723_004))).isEqualTo("1h2m3s4ms");
    }
}

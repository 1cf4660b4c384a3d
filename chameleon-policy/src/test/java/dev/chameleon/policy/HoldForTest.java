package dev.chameleon.policy;

import static dev.chameleon.policy.PolicySetTest.compile;
import static dev.chameleon.policy.PolicySetTest.onlyError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.model.FactSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code spec.for} / {@code spec.keepFor}: a condition must hold for a time before a policy matches, and stop holding for a time before it stops. */
class HoldForTest {
    static final String POLICY = """
            apiVersion: chameleon/v1
            kind: Policy
            metadata: {name: steal-relief}
            spec:
              when: host.cpu.steal.percent > 10.0
              for: 5m
              keepFor: 3m
              settings:
                - sysctl: {key: vm.swappiness, value: 10}
            """;

    /** A clock the test moves. */
    static final class Ticking extends Clock {
        Instant now = Instant.parse("2026-12-04T12:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }

        void plus(Duration d) {
            now = now.plus(d);
        }
    }

    static FactSet steal(double percent) {
        return FactSet.of(Map.of("host", Map.of("cpu", Map.of("steal", Map.of("percent", percent)))), Map.of());
    }

    private static boolean wants(PolicySet set, FactSet facts, ConditionHistory h) {
        return set.evaluate(facts, h).desired().stream().anyMatch(d -> d.key().toString().equals("sysctl:vm.swappiness"));
    }

    @Test
    void theConditionMustHoldForTheWholeDurationAndABurstChangesNothing() throws PolicyException {
        PolicySet set = compile(POLICY);
        assertThat(set.policies().get(0).holdFor()).isEqualTo(Duration.ofMinutes(5));
        assertThat(set.policies().get(0).keepFor()).isEqualTo(Duration.ofMinutes(3));
        Ticking clock = new Ticking();
        ConditionHistory h = new ConditionHistory(clock);
        // a 4-minute burst, passes every minute: never matches
        for (int m = 0; m < 5; m++) {
            assertThat(wants(set, steal(40), h)).as("minute " + m).isFalse();
            clock.plus(Duration.ofMinutes(1));
        }
        assertThat(h.inTransition()).isTrue();
        assertThat(wants(set, steal(2), h)).isFalse(); // the burst ends: the count starts over
        assertThat(h.inTransition()).isFalse();
        clock.plus(Duration.ofMinutes(1));
        // sustained: pending at 0..4 minutes, matched from 5 minutes on
        for (int m = 0; m <= 5; m++) {
            PolicySet.Evaluation ev = set.evaluate(steal(40), h);
            assertThat(ev.desired().isEmpty()).as("minute " + m).isEqualTo(m < 5);
            assertThat(ev.outcomes().get(0).hold()).startsWith(m < 5 ? "for 5m: pending, the condition has held since" : "for 5m: the condition has held");
            clock.plus(Duration.ofMinutes(1));
        }
        // hysteresis: false for less than keepFor keeps it; true in between starts the count again
        assertThat(wants(set, steal(1), h)).isTrue();
        clock.plus(Duration.ofMinutes(2));
        assertThat(wants(set, steal(1), h)).isTrue();
        assertThat(set.evaluate(steal(1), h).outcomes().get(0).hold()).contains("(2m of 3m); still matched");
        clock.plus(Duration.ofMinutes(1));
        assertThat(wants(set, steal(30), h)).isTrue();
        clock.plus(Duration.ofMinutes(1));
        assertThat(wants(set, steal(1), h)).isTrue();
        clock.plus(Duration.ofMinutes(2));
        assertThat(wants(set, steal(1), h)).isTrue();
        clock.plus(Duration.ofMinutes(1));
        PolicySet.Evaluation off = set.evaluate(steal(1), h);
        assertThat(off.desired()).isEmpty();
        assertThat(off.outcomes().get(0).hold()).isEqualTo("keepFor 3m: the condition stopped holding 3m ago; no longer matched");
    }

    @Test
    void withoutHistoryAForPolicyNeverMatchesAndSaysWhy() throws PolicyException {
        PolicySet set = compile(POLICY);
        PolicySet.Evaluation ev = set.evaluate(steal(90));
        assertThat(ev.desired()).isEmpty();
        assertThat(ev.outcomes().get(0).matched()).isFalse();
        assertThat(ev.outcomes().get(0).hold()).isEqualTo("for 5m: the condition holds now, but for how long needs the running agent's "
                + "history; without it (a one-shot command, a simulation) the policy does not match");
        // a fact the sensors did not report (one-shot: no steal delta) is an error and counts as not holding
        PolicySet.Evaluation absent = set.evaluate(FactSet.of(Map.of("host", Map.of()), Map.of()), new ConditionHistory(new Ticking()));
        assertThat(absent.outcomes().get(0).error()).isNotEmpty();
        assertThat(absent.outcomes().get(0).hold()).isEqualTo("for 5m: the condition does not hold");
        // without history a false condition reads as the daemon's would; the evaluation says it had no history
        PolicySet.PolicyOutcome off = set.evaluate(steal(1)).outcomes().get(0);
        assertThat(off.matched()).isFalse();
        assertThat(off.hold()).isEqualTo("for 5m: the condition does not hold");
        assertThat(ev.history()).isFalse();
        assertThat(absent.history()).isTrue();
    }

    @Test
    void aCopyJudgesWithoutChangingTheHistory() throws PolicyException {
        PolicySet set = compile(POLICY);
        Ticking clock = new Ticking();
        ConditionHistory h = new ConditionHistory(clock);
        set.evaluate(steal(40), h);
        clock.plus(Duration.ofMinutes(6));
        assertThat(wants(set, steal(40), h.copy())).isTrue();
        assertThat(wants(set, steal(1), h.copy())).isFalse(); // the copy saw a false: the original did not
        assertThat(wants(set, steal(40), h)).isTrue();
        assertThat(wants(set, steal(40), ConditionHistory.heldFor(Duration.ofMinutes(5), clock))).isTrue();
        assertThat(wants(set, steal(40), ConditionHistory.heldFor(Duration.ofMinutes(4), clock))).isFalse();
    }

    @Test
    void aPolicyWithoutForIsUnchangedByHistory() throws PolicyException {
        PolicySet set = compile(POLICY.replace("  for: 5m\n  keepFor: 3m\n", ""));
        assertThat(set.policies().get(0).holdFor()).isNull();
        assertThat(wants(set, steal(40), ConditionHistory.none())).isTrue();
        assertThat(set.evaluate(steal(40)).outcomes().get(0).hold()).isEmpty();
    }

    @Test
    void badDurationsAndUnknownWindowsArePositionedErrors() {
        assertThat(onlyError(POLICY.replace("for: 5m", "for: 5")).format()).isEqualTo("""
                p0.yaml:6:8: error: spec.for must be a duration with a unit (h, m or s: 30s, 5m, 1h30m), found '5'; \
                a number alone has no unit: write 5s or 5m
                    for: 5
                         ^""");
        assertThat(onlyError(POLICY.replace("for: 5m", "for: 5 minutes")).format())
                .startsWith("p0.yaml:6:8: error: spec.for must be a duration with a unit (h, m or s: 30s, 5m, 1h30m), found '5 minutes'");
        assertThat(onlyError(POLICY.replace("keepFor: 3m", "keepFor: 25h")).format()).startsWith("p0.yaml:7:12: error: spec.keepFor must be at most 24h");
        assertThat(onlyError(POLICY.replace("  for: 5m\n", "")).format())
                .startsWith("p0.yaml:6:3: error: spec.keepFor only goes with spec.for");
        assertThat(onlyError(POLICY.replace("percent > 10.0", "avg7m > 10.0")).format()).isEqualTo("""
                p0.yaml:5:23: error: spec.when: undefined field 'avg7m'; windowed facts are avg1m, avg5m and avg15m \
                (host.cpu.steal, host.cpu.iowait, host.memory.available), and avg10, avg60, avg300 of host.pressure
                    when: host.cpu.steal.avg7m > 10.0
                                        ^"""); // CEL places it at the field's dot
        assertThat(ConditionHistory.text(Duration.ofSeconds(3725))).isEqualTo("1h2m5s");
    }

    /** Field trial: a number too large for any clock was called "not a duration" instead of too long. */
    @Test
    void aHugeForSaysAtMost24hAndMillisecondsAreNotTaken() {
        assertThat(onlyError(POLICY.replace("for: 5m", "for: 999999999999999999999h")).format())
                .startsWith("p0.yaml:6:8: error: spec.for must be at most 24h, found '999999999999999999999h'");
        assertThat(onlyError(POLICY.replace("keepFor: 3m", "keepFor: 500ms")).format())
                .startsWith("p0.yaml:7:12: error: spec.keepFor must be whole seconds or more (h, m or s; ms is not taken here), found '500ms'");
        assertThat(onlyError(POLICY.replace("for: 5m", "for: 30m1h")).format())
                .startsWith("p0.yaml:6:8: error: spec.for must be a duration with a unit (h, m or s: 30s, 5m, 1h30m), found '30m1h'; "
                        + "write the units largest first, each once (1h30m, not 30m1h)");
    }

    @Test
    void aPolicyTestSaysHowLongItsFactsHaveHeld() throws PolicyException {
        PolicySet set = compile(POLICY, """
                apiVersion: chameleon/v1
                kind: PolicyTest
                metadata: {name: held}
                spec:
                  facts: {host: {cpu: {steal: {percent: 40.0}}}}
                  holdingFor: 5m
                  expect: {sysctl:vm.swappiness: "10"}
                ---
                apiVersion: chameleon/v1
                kind: PolicyTest
                metadata: {name: burst}
                spec:
                  facts: {host: {cpu: {steal: {percent: 40.0}}}}
                  holdingFor: 4m
                  absent: [sysctl:vm.swappiness]
                ---
                apiVersion: chameleon/v1
                kind: PolicyTest
                metadata: {name: one-shot}
                spec:
                  facts: {host: {cpu: {steal: {percent: 40.0}}}}
                  absent: [sysctl:vm.swappiness]
                """);
        assertThat(PolicyTests.run(set, set.tests(), null)).allSatisfy(r -> assertThat(r.failures()).isEmpty()).hasSize(3);
    }

    static final String TRANSIENT = """
            apiVersion: chameleon/v1
            kind: Policy
            metadata: {name: shift}
            spec:
              transient: true
              for: 2m
              when: host.pressure.cpu.some.avg60 > 25.0
              settings:
                - sysctl: {key: vm.swappiness, value: 10}
                - service: {name: postgresql, CPUWeight: 1000}
                - service: {name: postgresql@15-main.service, IOWeight: 900, AllowedCPUs: 0-3}
                - service: {name: apt-daily.service, CPUWeight: 10}
                - service: {name: nightly-report.service, state: running}
            """;

    @Test
    void aTransientPolicyShiftsResourceControlsOnlyBetweenRecognisedUnits() throws PolicyException {
        PolicySet set = compile(TRANSIENT);
        assertThat(set.policies().get(0).transientMode()).isTrue();
        // a resource control on a unit that is no recognised application's (nor a batch job's)
        String unrecognised = onlyError(TRANSIENT.replace("name: apt-daily.service, CPUWeight: 10", "name: nightly-report, CPUWeight: 10"))
                .format();
        assertThat(unrecognised).startsWith("p0.yaml:12:7: error: service nightly-report: CPUWeight in a transient policy needs the "
                + "unit of a recognised application or a distribution's batch job (postgresql.service, redis-server.service, "
                + "nginx.service, apt-daily.service, ...: resource-units.yaml); 'nightly-report.service' is neither\n");
        assertThat(unrecognised.lines().toList()).last().isEqualTo("        ^"); // under the setting kind (column 7)
        // the same setting in a policy that is not transient is the site's business
        assertThat(compile(TRANSIENT.replace("  transient: true\n", "").replace("apt-daily.service, CPUWeight", "nightly-report, CPUWeight"))
                .policies()).hasSize(1);
        assertThat(onlyError(TRANSIENT.replace("transient: true", "transient: yes please")).format())
                .startsWith("p0.yaml:5:14: error: spec.transient must be true or false, found 'yes please'");
        assertThat(onlyError(TRANSIENT.replace("AllowedCPUs: 0-3", "AllowedCPUs: 3-0")).format())
                .matches("p0\\.yaml:11:\\d+: error: service\\.AllowedCPUs must be CPU indexes and ranges \\(0-3, 0,2,4-7\\), found '3-0'(?s).*");
        assertThat(ResourceUnits.standard().ownerOf("postgresql@15-main")).contains("postgresql");
        assertThat(ResourceUnits.standard().ownerOf("postgresql@.service")).isEmpty();
        assertThat(ResourceUnits.standard().ownerOf("man-db")).contains("batch");
    }
}

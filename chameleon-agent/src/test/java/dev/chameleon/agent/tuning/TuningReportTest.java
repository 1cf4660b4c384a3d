package dev.chameleon.agent.tuning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chameleon.engine.Fingerprint;
import dev.chameleon.policy.Policy;
import dev.chameleon.policy.PolicyError;
import dev.chameleon.policy.PolicyParser;
import dev.chameleon.policy.Tuning;
import dev.chameleon.policy.TuningParser;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link TuningReport}: the gain and its Welch interval from known measurements, and the proposal as a policy the parser reads back. */
class TuningReportTest {
    static Tuning tuning(String goal) {
        List<PolicyError> errors = new ArrayList<>();
        List<Tuning> ts = TuningParser.parse("t.yaml", """
                apiVersion: chameleon/v1
                kind: Tuning
                metadata: {name: web}
                spec:
                  objective: {probe: {command: [/bin/true]}, goal: %s}
                  knobs:
                    - sysctl: {key: net.ipv4.tcp_wmem}
                      choices: ["4096 16384 4194304", "4096 65536 16777216"]
                    - sysctl: {key: net.core.somaxconn}
                      range: {min: 128, max: 4096, step: 128}
                    - sysctl: {key: net.ipv4.tcp_congestion_control}
                      choices: [bbr, reno]
                  budget: {trials: 3}
                """.formatted(goal), errors);
        assertThat(errors).isEmpty();
        return ts.get(0);
    }

    static TuningReport.Measured m(double... v) {
        List<Double> l = new ArrayList<>();
        for (double x : v) {
            l.add(x);
        }
        return new TuningReport.Measured(l, "measured", null);
    }

    static TuningReport report(String goal, TuningReport.Measured base, TuningReport.Measured trial, TuningReport.Measured confirm) {
        TuningReport.Trial t = new TuningReport.Trial(1, List.of("4096 65536 16777216", "1024", "reno"), "cs-1", trial, true);
        TuningReport.Trial c = confirm == null ? null : new TuningReport.Trial(0, t.values(), "cs-2", confirm, true);
        Fingerprint fp = new Fingerprint(Optional.of("kvm"), Optional.of("aws"), Optional.of("AMD EPYC 7R13"), Optional.of(8L), List.of());
        return new TuningReport(tuning(goal), "gp-ei", fp, List.of(), base, null, List.of(t), t, c, "trials", Duration.ofSeconds(9), List.of());
    }

    @Test
    void gainWithAWelchIntervalFromTheConfirmation() {
        TuningReport r = report("maximise", m(10, 11, 12), m(20, 20, 20), m(13, 14, 15));
        TuningReport.Gain g = r.gain().orElseThrow();
        // difference 3, se = sqrt(1/3 + 1/3), df = 4, t(0.975, 4) = 2.776445
        double half = 2.776445 * Math.sqrt(2.0 / 3);
        assertThat(g.percent()).isCloseTo(100 * 3 / 11.0, within(1e-9));
        assertThat(g.low()).isCloseTo(100 * (3 - half) / 11, within(1e-4));
        assertThat(g.high()).isCloseTo(100 * (3 + half) / 11, within(1e-4));
        assertThat(g.from()).isEqualTo("confirmation");
        assertThat(g.significant()).isTrue();
    }

    @Test
    void aMinimisedObjectiveGainsWhenItGoesDownAndOneMeasurementHasNoInterval() {
        TuningReport r = report("minimise", m(10, 10.5, 9.5), m(8), null);
        TuningReport.Gain g = r.gain().orElseThrow();
        assertThat(g.percent()).isCloseTo(20.0, within(1e-9));
        assertThat(g.low()).isNaN();
        assertThat(g.significant()).isFalse();
        assertThat(g.from()).isEqualTo("trial");
    }

    @Test
    void noProposalWhenTheBestIsWorseThanTheBaseline() {
        assertThat(report("maximise", m(10, 11, 12), m(9, 9, 9), null).proposal()).isEmpty();
    }

    @Test
    void theProposalIsAPolicyThatReadsBackWithTheBestValuesAndThePlatformCondition() {
        String text = report("maximise", m(10, 11, 12), m(20, 20, 20), m(13, 14, 15)).proposal().orElseThrow();
        List<PolicyError> errors = new ArrayList<>();
        List<Policy> ps = PolicyParser.parse("p.yaml", text, errors);
        assertThat(errors).isEmpty();
        assertThat(ps).singleElement().satisfies(p -> {
            assertThat(p.name()).isEqualTo("tuned-web");
            assertThat(p.priority()).isEqualTo(TuningReport.PROPOSAL_PRIORITY);
            assertThat(p.when().text()).contains("platform.hypervisor == \"kvm\"").contains("cpu.model == \"AMD EPYC 7R13\"")
                    .contains("memory.totalBytes > gib(4) && memory.totalBytes <= gib(8)");
            assertThat(p.settings()).extracting(s -> s.kind() + ":" + s.target() + "=" + s.value()).containsExactly(
                    "sysctl:net.ipv4.tcp_wmem=4096 65536 16777216", "sysctl:net.core.somaxconn=1024", "sysctl:net.ipv4.tcp_congestion_control=reno");
        });
        assertThat(text).startsWith("# Proposed by chameleon tune from t.yaml:1").contains("gain +27.3% (95% CI");
    }
}

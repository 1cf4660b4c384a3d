package dev.chameleon.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chameleon.model.FactSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FleetSelectorTest {
    private static final FactSet VMWARE_GPU = FactSet.of(Map.of(
            "platform", Map.of("hypervisor", "vmware", "cloud", "none", "container", "none"),
            "gpus", List.of(Map.of("vendor", "nvidia", "model", "Tesla V100"))), Map.of());
    private static final FactSet KVM = FactSet.of(Map.of("platform", Map.of("hypervisor", "kvm")), Map.of());

    @Test
    void factsAndLabels() throws Exception {
        FleetSelector s = FleetSelector.compile("platform.hypervisor == \"vmware\" && gpus.exists(g, g.vendor == \"nvidia\")");
        assertThat(s.matches(VMWARE_GPU, Map.of()).holds()).isTrue();
        assertThat(s.matches(KVM, Map.of()).holds()).isFalse();
        FleetSelector ring = FleetSelector.compile("has(labels.ring) && labels.ring == 'canary'");
        assertThat(ring.matches(KVM, Map.of("ring", "canary")).holds()).isTrue();
        assertThat(ring.matches(KVM, Map.of()).holds()).isFalse();
        assertThat(ring.references()).contains("labels.ring");
    }

    @Test
    void absentFactIsAnOutcomeWithAnError() throws Exception {
        FleetSelector s = FleetSelector.compile("memory.totalBytes > gib(8)");
        Condition.Outcome o = s.matches(KVM, Map.of());
        assertThat(o.holds()).isFalse();
        assertThat(o.error()).isNotEmpty();
    }

    @Test
    void hostileSelectorsArePositionedErrors() {
        assertThatThrownBy(() -> FleetSelector.compile("platform.hypervisr == 'kvm'"))
                .isInstanceOf(PolicyException.class).hasMessageContaining("selector:1:");
        assertThatThrownBy(() -> FleetSelector.compile("platform.hypervisor ==")).isInstanceOf(PolicyException.class);
        assertThatThrownBy(() -> FleetSelector.compile("platform.hypervisor")).hasMessageContaining("boolean");
        assertThatThrownBy(() -> FleetSelector.compile("  ")).hasMessageContaining("empty");
        assertThatThrownBy(() -> FleetSelector.compile("true || ".repeat(1000) + "true")).hasMessageContaining("limited to");
        assertThatThrownBy(() -> FleetSelector.compile("(".repeat(200) + "true" + ")".repeat(200)))
                .hasMessageContaining("nests brackets");
        assertThatThrownBy(() -> FleetSelector.compile("labels.ring == 1")).isInstanceOf(PolicyException.class);
        assertThatThrownBy(() -> FleetSelector.compile("'; DROP TABLE agents; --' == platform.hypervisor || x"))
                .isInstanceOf(PolicyException.class);
    }

    /** A selector whose nested loops would run 10^8 times stops at the iteration budget, as an outcome with an error. */
    @Test
    void nestedLoopsStopAtTheIterationBudget() throws Exception {
        String ten = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
        String expr = "true";
        for (int level = 0; level < 8; level++) {
            expr = ten + ".all(v" + level + ", " + expr + ")";
        }
        FleetSelector s = FleetSelector.compile(expr);
        long t0 = System.nanoTime();
        Condition.Outcome o = s.matches(KVM, Map.of());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(o.holds()).isFalse();
        assertThat(o.error()).containsIgnoringCase("iteration budget exceeded");
        // a loop as policies write them is far inside it
        assertThat(FleetSelector.compile(ten + ".all(a, " + ten + ".all(b, a + b > 1))").matches(KVM, Map.of()).holds()).isTrue();
        System.out.println("8-deep loops stopped after " + ms + " ms");
    }
}

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
}

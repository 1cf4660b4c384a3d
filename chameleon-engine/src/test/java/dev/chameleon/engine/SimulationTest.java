package dev.chameleon.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.model.SettingKey;
import dev.chameleon.model.json.PlanCodec;
import dev.chameleon.model.plan.PlanDocument;
import dev.chameleon.policy.PolicySet;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane's simulation: from an agent's reported facts, current values and applied
 * values, the plan document the agent's own {@code plan -o json} prints, decided by the same code;
 * what needs the machine is said, not guessed.
 */
class SimulationTest {
    @TempDir
    Path tmp;
    MachineTree tree;
    Engine engine;

    @BeforeEach
    void machine() {
        tree = MachineTree.guest(tmp.resolve("root"), "VMware, Inc.", 2, 8L * 1024 * 1024);
        tree.write("/proc/sys/vm/swappiness", "60\n").write("/proc/sys/net/core/somaxconn", "8192\n").write("/proc/sys/vm/dirty_ratio", "20\n");
        engine = Engine.of(EngineConfig.builder().root(tree.root).builtinPolicies(false).stateDir(tmp.resolve("state")).build());
    }

    static PolicySet candidate(String settings) throws Exception {
        return PolicySet.compile(List.of(new PolicySet.Source("candidate.yaml", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: candidate}
                spec:
                  when: platform.hypervisor == "vmware"
                  settings:
                """ + settings.lines().map(l -> "    " + l + "\n").reduce("", String::concat) + """
                ---
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: audit}
                spec:
                  priority: 80
                  mode: audit
                  settings:
                    - sysctl: {key: vm.dirty_ratio, value: 10}
                    - advice: {key: smt-off, text: Turn SMT off}
                """)));
    }

    @Test
    void fromAnAgentsReportItIsThePlanTheAgentPrints() throws Exception {
        PolicySet p = candidate("- sysctl: {key: vm.swappiness, value: 10}\n- sysctl: {key: net.core.somaxconn, value: {atLeast: 4096}}\n"
                + "- hugepages: {size: 2M, count: {atLeast: 16}}");
        Pass pass = engine.plan(p, engine.sense(), p.evaluate(engine.sense()));
        PlanDocument onTheMachine = pass.document();
        PlanDocument simulated = Simulation.plan(p, pass.facts(), pass.currentValues(), ApplyScope.appliedValues(engine.journal()));
        assertThat(PlanCodec.write(simulated)).isEqualTo(PlanCodec.write(onTheMachine));
        assertThat(simulated.summary().change()).isEqualTo(2);
        assertThat(simulated.entries()).filteredOn(e -> e.key().toString().equals("sysctl:net.core.somaxconn"))
                .singleElement().satisfies(e -> assertThat(e.action()).isEqualTo(PlanDocument.Action.OK));
        assertThat(simulated.entries()).filteredOn(e -> e.key().toString().equals("hugepages:2048kB"))
                .singleElement().satisfies(e -> assertThat(e.writes()).isEqualTo("16"));
    }

    @Test
    void applyOnceFollowsTheAgentsAppliedValues() throws Exception {
        PolicySet p = PolicySet.compile(List.of(new PolicySet.Source("once.yaml", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: first-boot}
                spec:
                  mode: apply-once
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """)));
        Map<SettingKey, String> currents = Map.of(SettingKey.parse("sysctl:vm.swappiness"), "50");
        PlanDocument before = Simulation.plan(p, engine.sense(), currents, Map.of());
        assertThat(before.entries().get(0).applies()).isTrue();
        assertThat(before.summary().change()).isEqualTo(1);
        PlanDocument after = Simulation.plan(p, engine.sense(), currents, Map.of("sysctl:vm.swappiness=10", "20261129-100000-000"));
        assertThat(after.entries().get(0).applies()).isFalse();
        assertThat(after.entries().get(0).note()).isEqualTo("apply-once: applied before in change set 20261129-100000-000; apply leaves it");
        assertThat(after.summary().appliedOnce()).isEqualTo(1);
        assertThat(after.summary().change()).isZero();
    }

    @Test
    void whatNeedsTheMachineIsSaidNotGuessed() throws Exception {
        PolicySet p = candidate("- sysctl: {key: vm.swappiness, value: 10}\n- blockQueue: {scheduler: none}\n"
                + "- sysctl: {key: kernel.not_here, value: 1}\n- sysctl: {key: vm.overcommit_ratio, value: 50, persist: true}\n"
                + "- sysctl: {key: net.core.rmem_max, value: {atLeast: 4096}, persist: true}\n"
                + "- file: {path: /etc/app.conf, content: x, owner: www-data}");
        var facts = engine.sense();
        Map<SettingKey, String> currents = new HashMap<>(engine.plan(p, facts, p.evaluate(facts)).currentValues());
        currents.put(SettingKey.parse("sysctl:persist/net.core.rmem_max"), "absent");
        currents.put(SettingKey.parse("file:/etc/app.conf"), "absent");
        PlanDocument d = Simulation.plan(p, facts, currents, Map.of());
        Map<String, PlanDocument.Entry> byKey = new HashMap<>();
        d.entries().forEach(e -> byKey.put(e.key().toString(), e));
        // the scheduler: a change, and the note says the machine would still check the disk offers it
        assertThat(byKey.get("blockQueue:vda/scheduler").action()).isEqualTo(PlanDocument.Action.CHANGE);
        assertThat(byKey.get("blockQueue:vda/scheduler").note()).isEqualTo("not checked without the machine: whether the kernel "
                + "offers the scheduler 'none' for vda (its choices are read on the machine)");
        // not reported (not applicable on the agent): unknown, with why
        assertThat(byKey.get("sysctl:kernel.not_here").action()).isEqualTo(PlanDocument.Action.UNKNOWN);
        assertThat(byKey.get("sysctl:kernel.not_here").note()).startsWith("no current value of sysctl:kernel.not_here was reported");
        // a relative value for a new drop-in depends on the running value: unknown, not a guess
        assertThat(byKey.get("sysctl:persist/net.core.rmem_max").action()).isEqualTo(PlanDocument.Action.UNKNOWN);
        assertThat(byKey.get("sysctl:persist/net.core.rmem_max").note()).contains("the running value of sysctl net.core.rmem_max");
        // an owner given by name needs the machine's /etc/passwd
        assertThat(byKey.get("file:/etc/app.conf").action()).isEqualTo(PlanDocument.Action.UNKNOWN);
        // plain values are decided as on the machine; audit and advice as always
        assertThat(byKey.get("sysctl:vm.swappiness").action()).isEqualTo(PlanDocument.Action.CHANGE);
        assertThat(byKey.get("sysctl:vm.swappiness").note()).isNull();
        assertThat(byKey.get("sysctl:vm.dirty_ratio").applies()).isFalse();
        assertThat(byKey.get("advice:smt-off").action()).isEqualTo(PlanDocument.Action.ADVICE);
        assertThat(d.summary().unknown()).isEqualTo(5);
        assertThat(PlanCodec.write(d)).contains("\"unknown\" : 5");
        assertThat(PlanCodec.read(PlanCodec.write(d))).isEqualTo(d);
    }
}

package dev.chameleon.cli.vm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One boot of one machine, running its scenarios one after the other (in order of
 * {@link VmScenario#order()}, then name). Scenarios that share a machine file share a boot; a
 * scenario with an inline machine boots alone.
 */
record BootGroup(VmMachine machine, List<VmScenario> scenarios) {
    BootGroup {
        scenarios = scenarios.stream().sorted(Comparator.comparingInt(VmScenario::order).thenComparing(VmScenario::name)).toList();
    }

    String name() {
        return machine.name();
    }

    /** Boot to power-off budget: the sum of the scenarios' budgets. */
    int timeoutSeconds() {
        return scenarios.stream().mapToInt(VmScenario::timeoutSeconds).sum();
    }

    String scenarioNames() {
        return String.join(", ", scenarios.stream().map(VmScenario::name).toList());
    }

    /** Groups scenarios by machine, keeping the first appearance's order of machines. */
    static List<BootGroup> of(List<VmScenario> scenarios, Path machines) {
        Map<String, VmMachine> byName = new LinkedHashMap<>();
        Map<String, List<VmScenario>> members = new LinkedHashMap<>();
        for (VmScenario s : scenarios) {
            VmMachine m = s.machineIn(machines);
            String key = s.machine() != null ? "machine:" + m.name() : "scenario:" + s.name();
            byName.putIfAbsent(key, m);
            members.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
        }
        List<BootGroup> out = new ArrayList<>();
        members.forEach((k, v) -> out.add(new BootGroup(byName.get(k), v)));
        return out;
    }
}

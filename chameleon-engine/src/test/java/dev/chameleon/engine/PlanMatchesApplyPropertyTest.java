package dev.chameleon.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.actuators.Applier;
import dev.chameleon.model.SettingEncodings;
import dev.chameleon.model.SettingKey;
import dev.chameleon.model.plan.PlanDocument;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Plan and apply cannot disagree: random machines (facts) and random policy sets go through
 * {@code plan} and then {@code apply} in a temporary root, and apply changes exactly the files
 * of the entries plan said it would change (action {@code change}, {@code applies} true) to exactly
 * the targets plan showed, and nothing else; a second plan then has nothing left to apply.
 *
 * <p>Machines: the hypervisor (DMI vendor), CPU count and memory vary, and so do the current
 * values of sysctls, THP, huge pages and a disk's queue. Policies: up to five, each with its own
 * priority, a random mode (enforce, audit, apply-once), a condition over those facts, and up to
 * four settings from sysctl (absolute, {@code atLeast}, {@code atMost}, with or without
 * {@code persist}), a sysctl this kernel does not have, sysfs THP, huge pages, block queue knobs
 * and advice. The jqwik report prints the seed of every run; to replay one, put it in
 * {@code @Property(seed = "...")}.
 */
class PlanMatchesApplyPropertyTest {
    record Machine(String vendor, int cpus, long memGiB, Map<String, String> sysctls, String thp, int hugepages, String scheduler,
                   int readAhead) {
    }

    record Setting(String yaml) {
    }

    record PolicySpec(String mode, String when, List<Setting> settings) {
    }

    static final List<String> SYSCTLS = List.of("vm.swappiness", "vm.dirty_ratio", "net.core.somaxconn", "kernel.pid_max");

    @Provide
    Arbitrary<Machine> machines() {
        Arbitrary<Map<String, String>> sysctls = Arbitraries.integers().between(0, 70000).list().ofSize(SYSCTLS.size()).map(vs -> {
            Map<String, String> m = new TreeMap<>();
            for (int i = 0; i < SYSCTLS.size(); i++) {
                m.put(SYSCTLS.get(i), String.valueOf(vs.get(i)));
            }
            return m;
        });
        return Combinators.combine(Arbitraries.of("VMware, Inc.", "QEMU", "Microsoft Corporation"), Arbitraries.integers().between(1, 8),
                        Arbitraries.longs().between(1, 128), sysctls, Arbitraries.of("always", "madvise", "never"),
                        Arbitraries.integers().between(0, 64), Arbitraries.of("mq-deadline", "none"), Arbitraries.integers().between(0, 8192))
                .as(Machine::new);
    }

    @Provide
    Arbitrary<List<PolicySpec>> policySets() {
        Arbitrary<String> number = Arbitraries.integers().between(0, 70000).map(String::valueOf);
        Arbitrary<String> value = Arbitraries.oneOf(number, number.map(n -> "{atLeast: " + n + "}"), number.map(n -> "{atMost: " + n + "}"));
        Arbitrary<Setting> sysctl = Combinators.combine(Arbitraries.of(SYSCTLS), value, Arbitraries.of("", ", persist: true"))
                .as((k, v, p) -> new Setting("sysctl: {key: " + k + ", value: " + v + p + "}"));
        Arbitrary<Setting> missing = Arbitraries.just(new Setting("sysctl: {key: kernel.not_on_this_kernel, value: 1}"));
        Arbitrary<Setting> thp = Arbitraries.of("always", "madvise", "never").map(v -> new Setting("sysfs: {knob: thp.enabled, value: " + v + "}"));
        Arbitrary<Setting> huge = Arbitraries.oneOf(Arbitraries.integers().between(0, 64).map(String::valueOf),
                Arbitraries.integers().between(0, 64).map(n -> "{atLeast: " + n + "}")).map(v -> new Setting("hugepages: {size: 2M, count: " + v + "}"));
        Arbitrary<Setting> queue = Arbitraries.oneOf(Arbitraries.of("mq-deadline", "none").map(s -> "scheduler: " + s),
                Arbitraries.integers().between(0, 8192).map(n -> "read_ahead_kb: {atLeast: " + n + "}"))
                .map(k -> new Setting("blockQueue: {" + k + "}"));
        Arbitrary<Setting> advice = Arbitraries.just(new Setting("advice: {key: smt-off, text: Turn SMT off}"));
        Arbitrary<Setting> setting = Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(6, sysctl), net.jqwik.api.Tuple.of(1, missing),
                net.jqwik.api.Tuple.of(2, thp), net.jqwik.api.Tuple.of(2, huge), net.jqwik.api.Tuple.of(2, queue), net.jqwik.api.Tuple.of(1, advice));
        Arbitrary<String> when = Arbitraries.of("true", "platform.hypervisor == \"vmware\"", "platform.hypervisor != \"vmware\"",
                "cpu.logicalCount >= 4", "memory.totalBytes > gib(16)");
        Arbitrary<String> mode = Arbitraries.frequency(net.jqwik.api.Tuple.of(6, "enforce"), net.jqwik.api.Tuple.of(2, "audit"),
                net.jqwik.api.Tuple.of(2, "apply-once"));
        return Combinators.combine(mode, when, setting.list().ofMinSize(1).ofMaxSize(4)).as(PolicySpec::new).list().ofMinSize(1).ofMaxSize(5);
    }

    @Property(tries = 60)
    void applyChangesExactlyWhatPlanSaid(@ForAll("machines") Machine m, @ForAll("policySets") List<PolicySpec> policies) throws Exception {
        Path dir = Files.createTempDirectory("plan-apply");
        try {
            MachineTree tree = MachineTree.guest(dir.resolve("root"), m.vendor(), m.cpus(), m.memGiB() * 1024 * 1024);
            m.sysctls().forEach((k, v) -> tree.write("/proc/sys/" + k.replace('.', '/'), v + "\n"));
            tree.write("/sys/kernel/mm/transparent_hugepage/enabled", List.of("always", "madvise", "never").stream()
                    .map(v -> v.equals(m.thp()) ? "[" + v + "]" : v).reduce((a, b) -> a + " " + b).orElseThrow() + "\n");
            tree.write("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", m.hugepages() + "\n");
            tree.write("/sys/block/vda/queue/scheduler", m.scheduler().equals("none") ? "mq-deadline [none]\n" : "[mq-deadline] none\n");
            tree.write("/sys/block/vda/queue/read_ahead_kb", m.readAhead() + "\n");
            Path pol = Files.createDirectories(dir.resolve("policies"));
            StringBuilder yaml = new StringBuilder();
            List<Integer> priorities = new ArrayList<>(List.of(10, 20, 30, 40, 50));
            Collections.shuffle(priorities, new java.util.Random(policies.hashCode()));
            for (int i = 0; i < policies.size(); i++) {
                PolicySpec p = policies.get(i);
                yaml.append("---\napiVersion: chameleon/v1\nkind: Policy\nmetadata: {name: p").append(i).append("}\nspec:\n  priority: ")
                        .append(priorities.get(i)).append("\n  mode: ").append(p.mode()).append("\n  when: '").append(p.when()).append("'\n  settings:\n");
                List<String> seen = new ArrayList<>();
                for (Setting s : p.settings()) {
                    String kindAndKey = s.yaml().replaceAll("value: .*|count: .*|scheduler: .*|read_ahead_kb: .*|text: .*", "");
                    if (!seen.contains(kindAndKey)) { // one policy sets a key once
                        seen.add(kindAndKey);
                        yaml.append("    - ").append(s.yaml()).append('\n');
                    }
                }
            }
            Files.writeString(pol.resolve("random.yaml"), yaml);
            Engine engine = Engine.of(EngineConfig.builder().root(tree.root).builtinPolicies(false).policies(List.of(pol))
                    .stateDir(dir.resolve("state")).build());

            PlanDocument plan = engine.pass(engine.loadPolicies()).document();
            Map<String, String> before = tree.snapshot();
            try (Engine.Changes c = engine.changes()) {
                Pass p = engine.pass(engine.loadPolicies()); // apply's own pass, as 'chameleon apply' makes it
                Applier.Result r = c.apply(p.scope().todo(List.of()), "property");
                assertThat(r.ok()).as("apply of %s: %s", yaml, r.message()).isTrue();
            }
            Map<String, String> after = tree.snapshot();

            Map<String, String> promised = new TreeMap<>();
            for (PlanDocument.Entry e : plan.entries()) {
                if (e.action() == PlanDocument.Action.CHANGE && e.applies()) {
                    promised.put(fileOf(e.key()), e.writes());
                }
            }
            TreeSet<String> changed = new TreeSet<>();
            Stream.concat(before.keySet().stream(), after.keySet().stream()).distinct()
                    .filter(f -> !java.util.Objects.equals(before.get(f), after.get(f))).forEach(changed::add);
            assertThat(changed).as("files apply changed, for policies\n%s\nand plan %s", yaml, promised).isEqualTo(promised.keySet());
            for (Map.Entry<String, String> p : promised.entrySet()) {
                String now = after.get(p.getKey());
                String value = now == null ? SettingEncodings.ABSENT : p.getKey().startsWith("/etc/sysctl.d/")
                        ? now.substring(now.indexOf('=') + 1).strip() : now.strip();
                assertThat(value).as("%s after apply", p.getKey()).isEqualTo(p.getValue());
            }
            PlanDocument again = engine.pass(engine.loadPolicies()).document();
            assertThat(again.summary().change()).as("a second plan after apply, for\n%s", yaml).isZero();
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** The file a kernel-file setting lives in, under the root. */
    static String fileOf(SettingKey key) {
        String t = key.target();
        return switch (key.kind()) {
            case "sysctl" -> SettingEncodings.isSysctlPersisted(key) ? "/etc/sysctl.d/90-chameleon-" + SettingEncodings.sysctlName(key) + ".conf"
                    : "/proc/sys/" + t.replace('.', '/');
            case "sysfs" -> "/sys/kernel/mm/transparent_hugepage/enabled";
            case "hugepages" -> "/sys/kernel/mm/hugepages/hugepages-" + t + "/nr_hugepages";
            case "blockQueue" -> "/sys/block/" + t.substring(0, t.indexOf('/')) + "/queue/" + t.substring(t.indexOf('/') + 1);
            default -> throw new AssertionError("no file for " + key);
        };
    }
}

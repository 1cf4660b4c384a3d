package dev.chameleon.benchmarks;

import dev.chameleon.model.FactSet;
import dev.chameleon.policy.PolicyException;
import dev.chameleon.policy.PolicySet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The policy engine's budgets (DESIGN.md: 1,000 policies against one FactSet in ≤ 10 ms after
 * compile). Run:
 * <pre>
 * ./mvnw -q -B -pl chameleon-benchmarks -am package -DskipTests
 * java -jar chameleon-benchmarks/target/benchmarks.jar PolicyBenchmark
 * </pre>
 * Policies are generated: five shapes of condition (string equality with a size unit, a list
 * comprehension over disks, int comparison with a version check, membership, and a per-disk
 * selector), each policy with its own sysctl so that none conflicts.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PolicyBenchmark {
    List<PolicySet.Source> sources1000;
    PolicySet set1000;
    PolicySet set100;
    FactSet facts;
    List<FactSet> fleet;

    @Setup
    public void setUp() throws PolicyException {
        sources1000 = sources(1000);
        set1000 = PolicySet.compile(sources1000);
        set100 = PolicySet.compile(sources(100));
        facts = facts(0);
        fleet = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            fleet.add(facts(i));
        }
    }

    /** {@code n} policies, one source each. */
    static List<PolicySet.Source> sources(int n) {
        List<PolicySet.Source> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String when;
            String setting = "    - sysctl: {key: kernel.bench_p" + i + ", value: " + i + "}\n";
            switch (i % 5) {
                case 0 -> when = "platform.hypervisor == \"" + HYPERVISORS[i % HYPERVISORS.length]
                        + "\" && memory.totalBytes >= gib(" + (i % 64) + ")";
                case 1 -> when = "disks.exists(d, d.virtio && !d.rotational) && platform.container == \"none\"";
                case 2 -> when = "cpu.logicalCount > " + (i % 32) + " && version_at_least(kernel.release, \"5." + (i % 20) + "\")";
                case 3 -> when = "platform.cloud in [\"aws\", \"gcp\", \"azure\"] || \"virtio_net\" in kernel.modules";
                default -> {
                    when = "platform.hypervisor != \"none\"";
                    setting += "    - blockQueue: {select: 'disk.virtio && disk.name.startsWith(\"vd\")', scheduler: none}\n";
                }
            }
            out.add(new PolicySet.Source("bench-" + i + ".yaml", "apiVersion: chameleon/v1\nkind: Policy\n"
                    + "metadata: {name: bench-" + i + "}\nspec:\n  priority: " + (i % 1000) + "\n  when: '"
                    + when.replace("'", "''") + "'\n  settings:\n" + setting));
        }
        return out;
    }

    static final String[] HYPERVISORS = {"kvm", "vmware", "hyperv", "xen", "qemu"};

    /** A plausible VM's facts, varied by {@code i}. */
    static FactSet facts(int i) {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("platform", Map.of("hypervisor", HYPERVISORS[i % HYPERVISORS.length], "cloud", i % 3 == 0 ? "aws" : "none",
                "container", "none", "confidence", 0.9));
        tree.put("cpu", Map.of("vendor", "GenuineIntel", "logicalCount", (long) (1 + i % 64), "flags", List.of("fpu", "sse2", "hypervisor")));
        tree.put("memory", Map.of("totalBytes", (1L + i % 128) << 30, "availableBytes", (1L + i % 64) << 30));
        tree.put("kernel", Map.of("release", "5." + (i % 20) + ".0-" + i + "-generic",
                "modules", List.of("ext4", i % 2 == 0 ? "virtio_net" : "vmxnet3")));
        tree.put("disks", List.of(
                Map.of("name", "vda", "virtio", true, "rotational", i % 2 == 0, "scheduler", "mq-deadline"),
                Map.of("name", "vdb", "virtio", true, "rotational", false, "scheduler", "none")));
        return FactSet.of(tree, Map.of());
    }

    /** Compile 1,000 policies (parse, type-check every condition, resolve, check conflicts). */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public PolicySet compile1000() throws PolicyException {
        return PolicySet.compile(sources1000);
    }

    /** Evaluate 1,000 compiled policies against one FactSet (budget: ≤ 10 ms). */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public PolicySet.Evaluation evaluate1000() {
        return set1000.evaluate(facts);
    }

    /** Evaluate 100 compiled policies against 10,000 FactSets (the fleet simulation). */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public void evaluate100Against10000(Blackhole bh) {
        for (FactSet f : fleet) {
            bh.consume(set100.evaluate(f));
        }
    }
}

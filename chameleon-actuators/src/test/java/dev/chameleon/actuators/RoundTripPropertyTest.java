package dev.chameleon.actuators;

import dev.chameleon.model.JournalEntry;
import static dev.chameleon.actuators.Fixture.want;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.PlanEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Every actuator round-trips: from a generated starting state, apply generated desired values,
 * verify, check that a second plan has nothing to change, roll back, and find every file of the
 * fixture machine (content, mode and owner) identical to before. Runs against {@link Fixture}
 * trees in temporary folders; services, modules, NIC queues, TuneD and packages go through
 * {@link FakeMachine}, whose state is also files in the tree.
 */
class RoundTripPropertyTest {
    /** A starting state (files to write before the run) and the settings to apply. */
    record Case(Map<String, String> initial, List<DesiredSetting> desired) {
        @Override
        public String toString() {
            return "initial " + initial + ", desired " + desired.stream().map(d -> d.key() + "=" + d.value()).toList();
        }
    }

    void roundTrip(Case c) throws Exception {
        Path dir = Files.createTempDirectory("chameleon-roundtrip");
        try {
            Fixture f = new Fixture(dir);
            for (Map.Entry<String, String> e : c.initial().entrySet()) {
                f.write(e.getKey(), e.getValue());
            }
            Map<String, String> before = f.snapshot();
            Applier applier = f.applier();
            Applier.Result r = applier.apply(f.host, c.desired(), "property");
            assertThat(r.ok()).as(r.message()).isTrue();
            assertThat(r.plan().entries()).extracting(PlanEntry::action).as(r.plan().toString())
                    .doesNotContain(PlanEntry.Action.ERROR, PlanEntry.Action.NOT_APPLICABLE);
            assertThat(applier.planner().plan(f.host, c.desired()).entries()).extracting(PlanEntry::action)
                    .as("after apply nothing is left to change").containsOnly(PlanEntry.Action.OK);
            if (r.changeSet() != null) {
                assertThat(r.changeSet().entries()).extracting(JournalEntry::state).containsOnly("verified");
                Applier.Result rb = applier.rollback(f.host, applier.lastApplied().orElseThrow());
                assertThat(rb.ok()).as(rb.message()).isTrue();
            }
            Fixture.assertSameMachine(before, f.snapshot(), "after rollback");
        } finally {
            Fixture.delete(dir);
        }
    }

    @Property(tries = 60)
    void sysctl(@ForAll("sysctlCases") Case c) throws Exception {
        roundTrip(c);
    }

    @Provide
    Arbitrary<Case> sysctlCases() {
        Arbitrary<Integer> start = Arbitraries.integers().between(0, 200);
        Arbitrary<String> want = Arbitraries.oneOf(Arbitraries.integers().between(0, 200).map(String::valueOf),
                Arbitraries.integers().between(0, 200).map(n -> ">=" + n), Arbitraries.integers().between(0, 200).map(n -> "<=" + n));
        Arbitrary<String> persist = Arbitraries.of("absent", "10", "30", ">=50");
        Arbitrary<String> rmem = Arbitraries.integers().between(4096, 65536).map(n -> "4096  " + n + "\t6291456");
        return Combinators.combine(start, want, persist, rmem).as((s, w, p, m) -> new Case(
                Map.of("/proc/sys/vm/swappiness", s + "\n"),
                List.of(want("sysctl:vm.swappiness", w), want("sysctl:persist/vm.swappiness", p), want("sysctl:net.ipv4.tcp_rmem", m))));
    }

    @Property(tries = 60)
    void sysfs(@ForAll("sysfsCases") Case c) throws Exception {
        roundTrip(c);
    }

    @Provide
    Arbitrary<Case> sysfsCases() {
        Arbitrary<String> thp = Arbitraries.of("always", "madvise", "never");
        Arbitrary<String> defrag = Arbitraries.of("always", "defer", "defer+madvise", "madvise", "never");
        Arbitrary<String> gov = Arbitraries.of("performance", "powersave", "schedutil");
        Arbitrary<String> epp = Arbitraries.of("default", "performance", "balance_performance", "balance_power", "power");
        Arbitrary<String> smt = Arbitraries.of("on", "off");
        return Combinators.combine(thp, thp, defrag, gov, gov, gov, epp, smt).as((t0, t1, d, g0, g1, g, e, s) -> {
            List<String> marked = new ArrayList<>();
            for (String o : List.of("always", "madvise", "never")) {
                marked.add(o.equals(t0) ? "[" + o + "]" : o);
            }
            return new Case(Map.of("/sys/kernel/mm/transparent_hugepage/enabled", String.join(" ", marked) + "\n",
                    "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", g0 + "\n",
                    "/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", g1 + "\n"),
                    List.of(want("sysfs:thp.enabled", t1), want("sysfs:thp.defrag", d), want("sysfs:cpu.governor", g),
                            want("sysfs:cpu.epp", e), want("sysfs:smt.control", s)));
        });
    }

    @Property(tries = 40)
    void blockQueueAndHugepages(@ForAll("queueCases") Case c) throws Exception {
        roundTrip(c);
    }

    @Provide
    Arbitrary<Case> queueCases() {
        Arbitrary<String> sched = Arbitraries.of("none", "mq-deadline");
        Arbitrary<String> ra = Arbitraries.oneOf(Arbitraries.integers().between(0, 8192).map(String::valueOf),
                Arbitraries.integers().between(0, 8192).map(n -> ">=" + n));
        Arbitrary<String> nr = Arbitraries.integers().between(4, 1024).map(String::valueOf);
        Arbitrary<String> hp = Arbitraries.oneOf(Arbitraries.integers().between(0, 512).map(String::valueOf),
                Arbitraries.integers().between(0, 512).map(n -> ">=" + n));
        Arbitrary<Integer> hpStart = Arbitraries.integers().between(0, 64);
        return Combinators.combine(sched, ra, nr, hp, hpStart).as((s, r, n, h, h0) -> new Case(
                Map.of("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", h0 + "\n"),
                List.of(want("blockQueue:vda/scheduler", s), want("blockQueue:vda/read_ahead_kb", r), want("blockQueue:vda/nr_requests", n),
                        want("hugepages:2048kB", h), want("hugepages:1048576kB", h0 % 3 + ""))));
    }

    @Property(tries = 40)
    void kernelModules(@ForAll("moduleCases") Case c) throws Exception {
        roundTrip(c);
    }

    @Provide
    Arbitrary<Case> moduleCases() {
        Arbitrary<String> state = Arbitraries.of("loaded", "unloaded");
        Arbitrary<Boolean> startLoaded = Arbitraries.of(true, false);
        Arbitrary<String> options = Arbitraries.of("absent", "msi=1", "ring_size=1024 msi=0");
        Arbitrary<String> blacklist = Arbitraries.of("yes", "no");
        Arbitrary<Boolean> startOptions = Arbitraries.of(true, false);
        return Combinators.combine(state, startLoaded, options, blacklist, startOptions).as((s, l, o, b, so) -> {
            Map<String, String> init = new java.util.HashMap<>();
            init.put("/proc/modules", "ext4 1000 1 - Live 0x0\n" + (l ? "vmxnet3 16384 0 - Live 0x0000000000000000\n" : ""));
            if (so) {
                init.put("/etc/modprobe.d/chameleon-vmxnet3-options.conf", ManagedFile.HEADER + "options vmxnet3 msi=0\n");
            }
            return new Case(init, List.of(want("kernelModule:vmxnet3", s), want("kernelModule:vmxnet3/options", o),
                    want("kernelModule:vmw_pvscsi/blacklist", b)));
        });
    }

    @Property(tries = 40)
    void services(@ForAll("serviceCases") Case c) throws Exception {
        roundTrip(c);
    }

    @Provide
    Arbitrary<Case> serviceCases() {
        Arbitrary<String> active = Arbitraries.of("active", "inactive");
        Arbitrary<String> enabled = Arbitraries.of("enabled", "disabled", "masked");
        Arbitrary<String> wantActive = Arbitraries.of("running", "stopped");
        Arbitrary<String> wantEnabled = Arbitraries.of("enabled", "disabled", "masked");
        Arbitrary<String> cpu = Arbitraries.oneOf(Arbitraries.integers().between(1, 10000).map(String::valueOf), Arbitraries.of("absent", "idle"));
        Arbitrary<String> mem = Arbitraries.of("absent", "512M", "2G", "80%", "infinity");
        Arbitrary<String> cpus = Arbitraries.of("absent", "0", "0-1", "0,2-3");
        return Combinators.combine(active, enabled, wantActive, wantEnabled, cpu, mem, cpus).as((a, e, wa, we, c, m, cs) -> {
            List<DesiredSetting> d = new ArrayList<>();
            // A masked unit cannot start: keep the generated pairs that a real systemd accepts.
            boolean startMasked = wa.equals("running") && we.equals("masked");
            d.add(want("service:nginx/enabled", startMasked ? "enabled" : we));
            d.add(want("service:nginx/active", wa));
            d.add(want("service:nginx/CPUWeight", c));
            d.add(want("service:nginx/MemoryMax", m));
            d.add(want("service:nginx/AllowedCPUs", cs));
            d.add(want("service:chronyd/active", wa));
            String start = e.equals("masked") ? "inactive" : a;
            return new Case(Map.of("/fake/systemd/nginx.service", "ActiveState=" + start + "\nUnitFileState=" + e + "\n"), d);
        });
    }

    @Property(tries = 60)
    void files(@ForAll("fileCases") Case c) throws Exception {
        roundTrip(c);
    }

    @Provide
    Arbitrary<Case> fileCases() {
        Arbitrary<String> content = Arbitraries.strings().ofMaxLength(200);
        Arbitrary<String> mode = Arbitraries.of("0644", "0600", "0755", "0440", "1777");
        Arbitrary<String> owner = Arbitraries.of("root:root", "0:0", "www-data:adm", "33:33", "1000:1000");
        Arbitrary<Boolean> exists = Arbitraries.of(true, false);
        Arbitrary<Boolean> remove = Arbitraries.of(true, false, false, false);
        return Combinators.combine(content, content, mode, owner, exists, remove).as((old, now, m, o, ex, rm) -> {
            String desired = rm ? "absent" : "mode=" + m + " owner=" + o + " content="
                    + Base64.getEncoder().encodeToString(now.getBytes(StandardCharsets.UTF_8));
            Map<String, String> init = ex ? Map.of("/etc/app/app.conf", old) : Map.of();
            return new Case(init, List.of(want("file:/etc/app/app.conf", desired), want("file:/etc/motd", "content="
                    + Base64.getEncoder().encodeToString(("motd " + now.length()).getBytes(StandardCharsets.UTF_8)))));
        });
    }

    @Property(tries = 30)
    void kernelCmdlineTunedNicAndPackages(@ForAll("otherCases") Case c) throws Exception {
        roundTrip(c);
    }

    @Provide
    Arbitrary<Case> otherCases() {
        Arbitrary<String> arg = Arbitraries.of("present", "absent");
        Arbitrary<String> profile = Arbitraries.of("virtual-guest", "throughput-performance", "balanced", "none");
        Arbitrary<String> mtu = Arbitraries.oneOf(Arbitraries.integers().between(68, 9000).map(String::valueOf),
                Arbitraries.integers().between(68, 9000).map(n -> ">=" + n));
        Arbitrary<String> combined = Arbitraries.integers().between(1, 4).map(String::valueOf);
        Arbitrary<String> onOff = Arbitraries.of("on", "off");
        Arbitrary<String> pkg = Arbitraries.of("installed", "absent");
        return Combinators.combine(arg, arg, profile, mtu, combined, onOff, pkg, pkg).as((a1, a2, p, m, ch, tso, p1, p2) -> new Case(Map.of(),
                List.of(want("kernelCmdline:mitigations=off", a1), want("kernelCmdline:intel_iommu=on", a2), want("tunedProfile:active", p),
                        want("nic:eth0/mtu", m), want("nic:eth0/txqueuelen", ">=" + (Integer.parseInt(ch) * 1000)),
                        want("nic:eth0/channels.combined", ch), want("nic:eth0/rings.rx", "<=" + (Integer.parseInt(ch) * 200)),
                        want("nic:eth0/offload.tso", tso), want("nic:eth0/offload.generic-receive-offload", tso),
                        want("package:nginx", p1), want("package:bash", p2))));
    }
}

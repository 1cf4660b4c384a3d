package dev.chameleon.engine.hardware;

import dev.chameleon.engine.hardware.Finding.Status;
import dev.chameleon.engine.hardware.Platforms.Platform;
import dev.chameleon.host.SysRoot;
import dev.chameleon.model.FactSet;
import dev.chameleon.policy.HardwareProfile;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code chameleon hardware check}: compares a {@link HardwareProfile} with the facts the sensors
 * gave and, for each gap, gives the change that closes it on the detected platform (from
 * {@code hardware/platforms.yaml}). Pure apart from the TPM, which no sensor reports: it is read
 * as {@code /sys/class/tpm/tpm*} through the root.
 */
public final class HardwareCheck {
    /** PCI vendors of emulated display adapters (Bochs/QEMU std VGA, VMware SVGA, virtio, QXL, Cirrus, Hyper-V). */
    static final Set<String> EMULATED_GPU_VENDORS = Set.of("0x1234", "0x15ad", "0x1af4", "0x1b36", "0x1013", "0x1414");
    /** Allowed shortfall of MemTotal against {@code memory.minMiB}: the kernel keeps a few % of the VM's RAM for itself. */
    static final double MEMORY_SLACK = 0.10;

    private HardwareCheck() {
    }

    /**
     * The report.
     *
     * @param profile  the profile's name
     * @param platform the detected platform's name, or empty when it is none of {@link Platforms#NAMES}
     * @param detected {@code {hypervisor, cloud}} as the platform sensor said
     * @param findings one per requirement of the profile, in the profile's order
     */
    public record Report(String profile, Optional<String> platform, Map<String, String> detected, List<Finding> findings) {
        public boolean hasFailures() {
            return findings.stream().anyMatch(f -> f.status() == Status.FAIL);
        }

        /** The JSON shape of {@code hardware check -o json} (docs/hardware.md). */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("profile", profile);
            Map<String, Object> p = new LinkedHashMap<>(detected);
            p.put("target", platform.orElse(null));
            m.put("platform", p);
            m.put("findings", findings.stream().map(Finding::toMap).toList());
            m.put("summary", Finding.summary(findings));
            return m;
        }
    }

    /** Compares {@code profile} with {@code facts} (a whole collection) on the machine under {@code root}. */
    public static Report check(HardwareProfile profile, FactSet facts, SysRoot root) {
        Optional<Platform> platform = Platforms.detected(facts);
        Map<String, String> detected = new LinkedHashMap<>();
        detected.put("hypervisor", facts.getString("platform.hypervisor").orElse(null));
        detected.put("cloud", facts.getString("platform.cloud").orElse(null));
        Fixer fixer = new Fixer(platform, detected, profile);
        List<Finding> out = new ArrayList<>();
        if (profile.nicModel() != null) {
            out.add(nicModel(facts, platform, fixer));
        }
        if (profile.nicMinQueues() != null) {
            out.add(nicQueues(facts, profile.nicMinQueues(), fixer));
        }
        if (profile.diskModel() != null) {
            out.add(diskModel(facts, platform, fixer));
        }
        if (profile.minVcpus() != null) {
            Optional<Long> n = number(facts, "cpu.logicalCount");
            out.add(atLeast("cpu.count", n, profile.minVcpus(), "vCPUs", "cpu.logicalCount (/proc/cpuinfo processor entries)", fixer));
        }
        if (profile.maxThreadsPerCore() != null) {
            Optional<Long> n = number(facts, "cpu.threadsPerCore");
            String want = "at most " + profile.maxThreadsPerCore() + " threads per core";
            out.add(n.isEmpty() ? unknown("cpu.threads", want, "cpu.threadsPerCore is absent (/proc/cpuinfo)", fixer)
                    : new Finding("cpu.threads", n.get() <= profile.maxThreadsPerCore() ? Status.PASS : Status.FAIL, want,
                            n.get() + " threads per core", List.of("cpu.threadsPerCore = " + n.get() + " (/proc/cpuinfo)"),
                            n.get() <= profile.maxThreadsPerCore() ? "" : fixer.fix("cpu.threads")));
        }
        if (!profile.cpuFlags().isEmpty()) {
            out.add(cpuFlags(facts, profile.cpuFlags(), fixer));
        }
        if (profile.minMemoryMiB() != null) {
            out.add(memory(facts, profile.minMemoryMiB(), fixer));
        }
        if (Boolean.TRUE.equals(profile.hugePageBacking())) {
            out.add(unknown("memory.hugepages", "guest memory backed by the host's huge pages",
                    "a guest cannot see how the host backs its memory (memory.hugepages are the guest's own pages)", fixer));
        }
        if (Boolean.TRUE.equals(profile.gpuPassthrough())) {
            out.add(gpu(facts, fixer));
        }
        if (Boolean.TRUE.equals(profile.tpm())) {
            out.add(tpm(root, fixer));
        }
        if (Boolean.TRUE.equals(profile.secureBoot())) {
            out.add(secureBoot(facts, fixer));
        }
        return new Report(profile.name(), platform.map(Platform::name), detected, out);
    }

    private static Finding nicModel(FactSet facts, Optional<Platform> platform, Fixer fixer) {
        List<String> good = platform.map(Platform::nicDrivers).orElseGet(() -> all(Platform::nicDrivers));
        String want = "paravirtual NICs (" + String.join(", ", good) + ")";
        List<Map<?, ?>> nics = devices(facts, "nics").stream().filter(n -> !Boolean.TRUE.equals(n.get("virtual"))).toList();
        if (facts.get("nics").isEmpty()) {
            return unknown("nic.model", want, "the nics sensor gave no answer", fixer);
        }
        if (nics.isEmpty()) {
            return unknown("nic.model", want, "no NIC backed by a device (/sys/class/net/*/device)", fixer);
        }
        List<String> evidence = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        for (Map<?, ?> n : nics) {
            Object driver = n.get("driver");
            evidence.add("nics." + n.get("name") + ".driver = " + (driver == null ? "(none bound)" : driver)
                    + " (/sys/class/net/" + n.get("name") + "/device/driver)");
            if (driver == null || !good.contains(String.valueOf(driver))) {
                bad.add(n.get("name") + " (" + (driver == null ? "no driver" : driver) + ")");
            }
        }
        return bad.isEmpty() ? new Finding("nic.model", Status.PASS, want, "all paravirtual", evidence, "")
                : new Finding("nic.model", Status.FAIL, want, "not paravirtual: " + String.join(", ", bad), evidence, fixer.fix("nic.model"));
    }

    private static Finding nicQueues(FactSet facts, long min, Fixer fixer) {
        String want = "at least " + min + " RX and TX queues per NIC";
        List<Map<?, ?>> nics = devices(facts, "nics").stream().filter(n -> !Boolean.TRUE.equals(n.get("virtual"))).toList();
        if (nics.isEmpty()) {
            return unknown("nic.queues", want, "no NIC backed by a device", fixer);
        }
        List<String> evidence = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        boolean unknown = false;
        for (Map<?, ?> n : nics) {
            Object rx = n.get("rxQueues");
            Object tx = n.get("txQueues");
            if (!(rx instanceof Number r) || !(tx instanceof Number t)) {
                evidence.add("nics." + n.get("name") + ": no queues folder (/sys/class/net/" + n.get("name") + "/queues)");
                unknown = true;
                continue;
            }
            evidence.add("nics." + n.get("name") + ".rxQueues = " + r + ", txQueues = " + t + " (/sys/class/net/" + n.get("name") + "/queues)");
            if (Math.min(r.longValue(), t.longValue()) < min) {
                bad.add(n.get("name") + " (" + r + " rx, " + t + " tx)");
            }
        }
        if (!bad.isEmpty()) {
            return new Finding("nic.queues", Status.FAIL, want, "too few: " + String.join(", ", bad), evidence, fixer.fix("nic.queues"));
        }
        return new Finding("nic.queues", unknown ? Status.UNKNOWN : Status.PASS, want, unknown ? "" : "enough", evidence,
                unknown ? fixer.fix("nic.queues") : "");
    }

    private static Finding diskModel(FactSet facts, Optional<Platform> platform, Fixer fixer) {
        List<String> good = platform.map(Platform::diskDrivers).orElseGet(() -> all(Platform::diskDrivers));
        String want = "paravirtual disks (" + String.join(", ", good) + ")";
        if (facts.get("disks").isEmpty()) {
            return unknown("disk.model", want, "the disks sensor gave no answer", fixer);
        }
        List<Map<?, ?>> disks = devices(facts, "disks").stream()
                .filter(d -> !Boolean.TRUE.equals(d.get("removable")) && !String.valueOf(d.get("name")).matches("(sr|fd)\\d+")).toList();
        if (disks.isEmpty()) {
            return unknown("disk.model", want, "no disk (/sys/block, less loop, ram, zram, sr, fd, removable)", fixer);
        }
        List<String> evidence = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        for (Map<?, ?> d : disks) {
            Object driver = d.get("driver");
            evidence.add("disks." + d.get("name") + ".driver = " + (driver == null ? "(none bound)" : driver)
                    + " (/sys/block/" + d.get("name") + "/device, walking up)");
            if (driver == null || !good.contains(String.valueOf(driver))) {
                bad.add(d.get("name") + " (" + (driver == null ? "no driver" : driver) + ")");
            }
        }
        return bad.isEmpty() ? new Finding("disk.model", Status.PASS, want, "all paravirtual", evidence, "")
                : new Finding("disk.model", Status.FAIL, want, "not paravirtual: " + String.join(", ", bad), evidence, fixer.fix("disk.model"));
    }

    private static Finding atLeast(String check, Optional<Long> have, long min, String unit, String source, Fixer fixer) {
        String want = "at least " + min + " " + unit;
        if (have.isEmpty()) {
            return unknown(check, want, source + " is absent", fixer);
        }
        boolean ok = have.get() >= min;
        return new Finding(check, ok ? Status.PASS : Status.FAIL, want, have.get() + " " + unit,
                List.of(source.replaceFirst(" \\(", " = " + have.get() + " (")), ok ? "" : fixer.fix(check));
    }

    private static Finding cpuFlags(FactSet facts, List<String> flags, Fixer fixer) {
        String want = "CPU flags " + String.join(", ", flags);
        Object f = facts.get("cpu.flags").orElse(null);
        if (!(f instanceof List<?> have)) {
            return unknown("cpu.flags", want, "cpu.flags is absent (/proc/cpuinfo flags)", fixer);
        }
        List<String> missing = flags.stream().filter(x -> !have.contains(x)).toList();
        List<String> evidence = List.of("cpu.flags (/proc/cpuinfo flags): " + (missing.isEmpty() ? "has " + String.join(", ", flags)
                : "lacks " + String.join(", ", missing)));
        return missing.isEmpty() ? new Finding("cpu.flags", Status.PASS, want, "all present", evidence, "")
                : new Finding("cpu.flags", Status.FAIL, want, "missing " + String.join(", ", missing), evidence,
                        fixer.fix("cpu.flags", Map.of("flags", String.join(", ", missing))));
    }

    private static Finding memory(FactSet facts, long minMiB, Fixer fixer) {
        String want = "at least " + minMiB + " MiB";
        Optional<Long> bytes = number(facts, "memory.totalBytes");
        if (bytes.isEmpty()) {
            return unknown("memory.size", want, "memory.totalBytes is absent (/proc/meminfo MemTotal)", fixer);
        }
        long mib = bytes.get() >> 20;
        boolean ok = mib >= Math.round(minMiB * (1 - MEMORY_SLACK));
        return new Finding("memory.size", ok ? Status.PASS : Status.FAIL, want, mib + " MiB",
                List.of("memory.totalBytes = " + bytes.get() + " (/proc/meminfo MemTotal; up to " + Math.round(MEMORY_SLACK * 100)
                        + " % below the VM's size is the kernel's own share)"), ok ? "" : fixer.fix("memory.size"));
    }

    private static Finding gpu(FactSet facts, Fixer fixer) {
        String want = "a passed-through GPU";
        if (facts.get("gpus").isEmpty()) {
            return unknown("gpu.passthrough", want, "the gpus sensor gave no answer", fixer);
        }
        List<String> evidence = new ArrayList<>();
        boolean real = false;
        for (Map<?, ?> g : devices(facts, "gpus")) {
            boolean emulated = EMULATED_GPU_VENDORS.contains(String.valueOf(g.get("vendorId")));
            real |= !emulated;
            evidence.add("gpus." + g.get("pciAddress") + ": vendorId " + g.get("vendorId") + (g.get("model") != null ? " " + g.get("model") : "")
                    + (g.get("driver") != null ? ", driver " + g.get("driver") : "") + (emulated ? " (emulated)" : "")
                    + " (/sys/bus/pci/devices/" + g.get("pciAddress") + ")");
        }
        if (evidence.isEmpty()) {
            evidence.add("gpus = [] (no PCI display function in /sys/bus/pci/devices)");
        }
        return real ? new Finding("gpu.passthrough", Status.PASS, want, "present", evidence, "")
                : new Finding("gpu.passthrough", Status.FAIL, want, "only emulated display adapters or none", evidence, fixer.fix("gpu.passthrough"));
    }

    private static Finding tpm(SysRoot root, Fixer fixer) {
        String want = "a TPM";
        if (!root.isDirectory("/sys/class")) {
            return unknown("tpm", want, "/sys/class is not visible under the root", fixer);
        }
        List<String> tpms = root.list("/sys/class/tpm").stream().filter(n -> n.matches("tpm\\d+")).toList();
        return tpms.isEmpty() ? new Finding("tpm", Status.FAIL, want, "none", List.of("/sys/class/tpm: no tpmN device"), fixer.fix("tpm"))
                : new Finding("tpm", Status.PASS, want, String.join(", ", tpms), List.of("/sys/class/tpm/" + tpms.get(0)), "");
    }

    private static Finding secureBoot(FactSet facts, Fixer fixer) {
        String want = "UEFI secure boot on";
        Object sb = facts.get("security.boot.secureBoot").orElse(null);
        Object uefi = facts.get("security.boot.uefi").orElse(null);
        String src = "(/sys/firmware/efi/efivars/SecureBoot-8be4df61-…)";
        if (Boolean.TRUE.equals(sb)) {
            return new Finding("secureBoot", Status.PASS, want, "on", List.of("security.boot.secureBoot = true " + src), "");
        }
        if (Boolean.FALSE.equals(sb)) {
            return new Finding("secureBoot", Status.FAIL, want, "off", List.of("security.boot.secureBoot = false " + src), fixer.fix("secureBoot"));
        }
        if (Boolean.FALSE.equals(uefi)) {
            return new Finding("secureBoot", Status.FAIL, want, "BIOS boot (no UEFI)", List.of("security.boot.uefi = false (/sys/firmware/efi absent)"),
                    fixer.fix("secureBoot"));
        }
        return unknown("secureBoot", want, "security.boot.secureBoot is absent (efivars not readable)", fixer);
    }

    private static Finding unknown(String check, String want, String why, Fixer fixer) {
        return new Finding(check, Status.UNKNOWN, want, "", List.of(why), fixer.fix(check));
    }

    private static List<Map<?, ?>> devices(FactSet facts, String key) {
        return facts.getList(key).stream().filter(o -> o instanceof Map<?, ?>).<Map<?, ?>>map(o -> (Map<?, ?>) o).toList();
    }

    private static Optional<Long> number(FactSet facts, String key) {
        return facts.get(key).filter(o -> o instanceof Number).map(o -> ((Number) o).longValue());
    }

    private static List<String> all(java.util.function.Function<Platform, List<String>> f) {
        return Platforms.NAMES.stream().flatMap(n -> f.apply(Platforms.get(n).orElseThrow()).stream()).distinct().toList();
    }

    /** Fills the detected platform's fix templates with the profile's numbers. */
    private record Fixer(Optional<Platform> platform, Map<String, String> detected, HardwareProfile profile) {
        String fix(String check) {
            return fix(check, Map.of());
        }

        String fix(String check, Map<String, String> more) {
            if (platform.isEmpty()) {
                return "no fix known: the platform (hypervisor " + detected.get("hypervisor") + ", cloud " + detected.get("cloud")
                        + ") is none of " + String.join(", ", Platforms.NAMES);
            }
            Map<String, String> fields = new LinkedHashMap<>(more);
            fields.putIfAbsent("queues", String.valueOf(profile.nicMinQueues()));
            fields.putIfAbsent("count", String.valueOf(profile.minVcpus() == null ? 1 : profile.minVcpus()));
            fields.putIfAbsent("threads", String.valueOf(profile.maxThreadsPerCore() == null ? 1 : profile.maxThreadsPerCore()));
            fields.putIfAbsent("mib", String.valueOf(profile.minMemoryMiB()));
            fields.putIfAbsent("flags", String.join(", ", profile.cpuFlags()));
            return platform.get().fix(check, fields).orElse("no fix known for " + platform.get().label() + " (" + check + ")");
        }
    }
}

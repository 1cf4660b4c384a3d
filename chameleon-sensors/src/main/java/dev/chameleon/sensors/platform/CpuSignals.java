package dev.chameleon.sensors.platform;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * CPU-side clues: the architecture, /proc/cpuinfo (hypervisor flag, model strings, POWER
 * platform), {@code lscpu}, the CPUID hypervisor signature (virt-what's helper), s390
 * /proc/sysinfo and POWER {@code lparstat -i}.
 */
public final class CpuSignals {
    static final String CPUINFO = "/proc/cpuinfo";
    static final String SYSINFO = "/proc/sysinfo";
    static final Command UNAME_M = Command.of("uname", "-m");
    /** The kernel's own {@code uname -m} (Linux 6.1+): read instead of spawning uname when present. */
    static final String PROC_ARCH = "/proc/sys/kernel/arch";
    static final Command LSCPU = Command.of("lscpu");
    static final Command CPUID_HELPER = Command.of("virt-what-cpuid-helper");
    static final Command LPARSTAT = Command.of("lparstat", "-i");
    /** The kernel's CPUID device of CPU 0 (module {@code cpuid}): the file offset is the leaf. */
    static final String CPUID_DEVICE = "/dev/cpu/0/cpuid";
    static final long HYPERVISOR_LEAF = 0x4000_0000L;

    private CpuSignals() {
    }

    /** Finds the CPU architecture first: other readers depend on it. Records no clues. */
    public static void readArch(Probe p) {
        var f = p.read(CPUINFO);
        CpuParsers.Cpuinfo cpuinfo = CpuParsers.parseCpuinfo(f.isPresent() ? f.text() : "");
        Map<String, String> lscpu = CpuParsers.parseLscpu(p.output(LSCPU).orElse(""));
        p.clues().arch = arch(uname(p), cpuinfo, lscpu);
    }

    /** {@code uname -m} of the machine under the root: its {@link #PROC_ARCH}, else the command. */
    static String uname(Probe p) {
        var f = p.read(PROC_ARCH);
        if (f.isPresent() && f.trimmed().matches("[A-Za-z0-9_]+")) {
            return f.trimmed();
        }
        return p.output(UNAME_M).orElse("");
    }

    public static void read(Probe p) {
        Clues c = p.clues();
        Optional<String> cpuinfoText = p.text(CPUINFO, "cpuinfo");
        CpuParsers.Cpuinfo cpuinfo = CpuParsers.parseCpuinfo(cpuinfoText.orElse(""));
        Optional<String> lscpuText = p.output(LSCPU);
        Map<String, String> lscpu = CpuParsers.parseLscpu(lscpuText.orElse(""));
        if (c.arch.isEmpty()) {
            c.arch = arch(uname(p), cpuinfo, lscpu);
        }

        if (cpuinfoText.isPresent()) {
            cpuinfoClues(p, cpuinfoText.get(), cpuinfo);
        }
        if (lscpuText.isPresent()) {
            lscpuClues(p, lscpu, cpuinfoText.isPresent() && cpuinfo.hasFlagsLine());
        }
        cpuidClues(p);
        sysinfoClues(p);
        p.output(LPARSTAT).ifPresent(out -> {
            Map<String, String> kv = CpuParsers.parseLscpu(out);
            String name = kv.getOrDefault("Partition Name", "");
            if (!name.isEmpty() || kv.containsKey("Partition Number")) {
                c.add("lparstat.partition", "Partition Name: " + name, Probe.source(LPARSTAT), "hypervisor=powervm", 0.85);
            }
        });
    }

    static String arch(String uname, CpuParsers.Cpuinfo cpuinfo, Map<String, String> lscpu) {
        String u = uname.strip();
        if (!u.isEmpty() && u.matches("[A-Za-z0-9_]+")) {
            return u;
        }
        String la = lscpu.getOrDefault("Architecture", "");
        if (!la.isEmpty()) {
            return la;
        }
        String vendor = cpuinfo.get("vendor_id");
        if (vendor.matches("GenuineIntel|AuthenticAMD|HygonGenuine|CentaurHauls|  Shanghai  |GenuineTMx86")
                || cpuinfo.hasFlagsLine()) {
            return "x86_64";
        }
        if (vendor.startsWith("IBM/S390")) {
            return "s390x";
        }
        if (cpuinfo.fields().containsKey("cpu implementer")) {
            return "aarch64";
        }
        if (cpuinfo.get("cpu").toUpperCase(Locale.ROOT).startsWith("POWER") || cpuinfo.fields().containsKey("platform")) {
            return "ppc64";
        }
        if (cpuinfo.get("cpu").toLowerCase(Locale.ROOT).contains("sparc")) {
            return "sparc64";
        }
        return "";
    }

    static void cpuinfoClues(Probe p, String text, CpuParsers.Cpuinfo cpuinfo) {
        Clues c = p.clues();
        if (cpuinfo.hasFlagsLine()) {
            if (cpuinfo.flags().contains("hypervisor")) {
                c.add("cpuinfo.hypervisor-flag", "hypervisor", CPUINFO, "vm", 0.7);
            } else {
                c.add("cpuinfo.hypervisor-flag", "absent (" + cpuinfo.flags().size() + " flags)", CPUINFO, "hypervisor=none", 0.6);
            }
        }
        for (Signatures.TextRule r : p.tables().cpuinfo()) {
            Match m = Match.parse(r.match());
            String value = r.field() == null ? text : cpuinfo.get(r.field().toLowerCase(Locale.ROOT));
            if (value.isEmpty() || !m.test(value)) {
                continue;
            }
            String shown = r.field() == null ? firstMatchingLine(text, m) : r.field() + ": " + value;
            String signal = "cpuinfo." + (r.field() == null ? "text" : r.field().replace(' ', '_'));
            for (String s : r.supports()) {
                c.add(signal, shown, CPUINFO, s, r.weightOr(0.6));
            }
        }
    }

    static void lscpuClues(Probe p, Map<String, String> lscpu, boolean cpuinfoHadFlags) {
        Clues c = p.clues();
        String src = Probe.source(LSCPU);
        boolean named = false;
        for (String key : List.of("Hypervisor vendor", "Hypervisor")) {
            String v = lscpu.getOrDefault(key, "");
            if (v.isEmpty()) {
                continue;
            }
            List<String> supports = lookup(p.tables().lscpuHypervisorVendor(), v);
            if (supports.isEmpty()) {
                c.add("lscpu.hypervisor-vendor", key + ": " + v, src, "vm", 0.6);
            } else {
                for (String s : supports) {
                    c.add("lscpu.hypervisor-vendor", key + ": " + v, src, s, 0.8);
                }
            }
            named = true;
        }
        String flags = lscpu.getOrDefault("Flags", "");
        if (!named && !cpuinfoHadFlags && !flags.isEmpty()) {
            if (List.of(flags.split("\\s+")).contains("hypervisor")) {
                c.add("lscpu.flags", "hypervisor", src, "vm", 0.7);
            } else {
                c.add("lscpu.flags", "no hypervisor flag", src, "hypervisor=none", 0.6);
            }
        } else if (!named && !cpuinfoHadFlags && lscpu.getOrDefault("Virtualization", "").matches("VT-x|AMD-V")
                && c.isX86()) {
            c.add("lscpu.virtualization", "Virtualization: " + lscpu.get("Virtualization") + ", no hypervisor vendor",
                    src, "hypervisor=none", 0.5);
        }
    }

    static void cpuidClues(Probe p) {
        Clues c = p.clues();
        CommandResult r = p.run(CPUID_HELPER);
        if (r.status() != CommandResult.Status.RAN) {
            cpuidDeviceClues(p);
            return;
        }
        String sig = r.stdout().replace("\0", "").strip();
        String src = Probe.source(CPUID_HELPER);
        List<String> supports = sig.isEmpty() ? List.of() : lookup(p.tables().cpuid(), sig);
        c.cpuidRead = true;
        if (c.isX86() && !mayHideKvm(p, supports)) {
            c.noKvm("CPUID leaf 0x40000000: " + (sig.isEmpty() ? "no signature" : sig), src);
        }
        if (!supports.isEmpty()) {
            for (String s : supports) {
                c.add("cpuid.signature", sig, src, s, 0.8);
            }
        } else if (c.isX86()) {
            // on x86 every mainstream hypervisor answers leaf 0x40000000 with a known signature;
            // nothing (or the stray bytes an old helper printed) is weak bare-metal evidence, and
            // under QEMU-family firmware it means pure emulation (TCG before QEMU 5 had no signature)
            String shown = sig.isEmpty() ? "(no known signature)" : sig + " (not a known signature)";
            c.add("cpuid.signature", shown, src, "hypervisor=none", 0.5);
            c.add("cpuid.signature", shown, src, "accel=tcg", 0.5);
        } else {
            c.note("cpuid.signature", sig.isEmpty() ? "(none: not x86)" : sig, src);
        }
    }

    /**
     * The CPUID hypervisor signature read from the kernel's {@code /dev/cpu/0/cpuid} (module
     * {@code cpuid}, root only), where virt-what's helper is not installed: leaf 1 ECX bit 31
     * (hypervisor present) and, when set, the 12-byte vendor signature of leaf 0x40000000 in
     * EBX, ECX, EDX, as systemd-detect-virt reads them. x86 only; nothing when the device is absent
     * or unreadable (a note says which).
     */
    static void cpuidDeviceClues(Probe p) {
        Clues c = p.clues();
        if (!c.isX86()) {
            return;
        }
        Optional<byte[]> leaf1 = p.root().readCpuid(0, 1);
        if (leaf1.isEmpty()) {
            if (p.exists(CPUID_DEVICE)) {
                c.note("cpuid.device", "present, but no 16-byte answer for leaf 1 (readable by root only; or a short read)", CPUID_DEVICE);
            }
            return;
        }
        String src = CPUID_DEVICE + " (leaf 0x40000000)";
        c.cpuidRead = true;
        if ((littleEndianInt(leaf1.get(), 8) >>> 31) == 0) {
            c.note("cpuid.device", "hypervisor bit clear in leaf 1: no signature to read", CPUID_DEVICE + " (leaf 1)");
            c.noKvm("CPUID leaf 1: hypervisor bit clear", CPUID_DEVICE + " (leaf 1)");
            return;
        }
        String sig = p.root().readCpuid(0, HYPERVISOR_LEAF).map(CpuSignals::signature).orElse("");
        List<String> supports = sig.isEmpty() ? List.of() : lookup(p.tables().cpuid(), sig);
        boolean kvmBehind = false;
        if (mayHideKvm(p, supports)) {
            // KVM exposing another hypervisor's interface (QEMU's hv-* enlightenments) keeps its
            // own signature one block up, at 0x40000100 (QEMU docs/system/i386/hyperv.rst)
            String next = p.root().readCpuid(0, HYPERVISOR_LEAF + 0x100).map(CpuSignals::signature).orElse("");
            if (lookup(p.tables().cpuid(), next).contains("hypervisor=kvm")) {
                // KVM's own leaf, not an interface it lends: firm evidence for kvm
                c.add("cpuid.kvm-leaf", next + " (behind " + sig + ")", CPUID_DEVICE + " (leaf 0x40000100)", "hypervisor=kvm", 0.85);
                kvmBehind = true;
            }
        }
        if (!kvmBehind && !supports.contains("hypervisor=kvm")) {
            c.noKvm("CPUID leaf 0x40000000: " + (sig.isEmpty() ? "no signature" : sig)
                    + (mayHideKvm(p, supports) ? ", nothing at 0x40000100" : ""), src);
        }
        if (!supports.isEmpty()) {
            for (String s : supports) {
                c.add("cpuid.signature", sig, src, s, 0.8);
            }
        } else {
            // the hypervisor bit without a known signature: a VM whose hypervisor does not name
            // itself; under QEMU-family firmware, emulation (TCG before QEMU 5 had no signature)
            c.add("cpuid.signature", sig.isEmpty() ? "(no signature)" : sig + " (not a known signature)", src, "accel=tcg", 0.5);
        }
    }

    /**
     * Whether a signature that names {@code supports} leaves KVM possible: it is KVM's, or it is
     * an interface KVM also presents ({@code sharedInterfaces}: Hyper-V's {@code Microsoft Hv}).
     */
    static boolean mayHideKvm(Probe p, List<String> supports) {
        for (String s : supports) {
            if (s.equals("hypervisor=kvm")) {
                return true;
            }
            if (s.startsWith("hypervisor=") && p.tables().sharedInterfaces().getOrDefault(s.substring(11), List.of()).contains("kvm")) {
                return true;
            }
        }
        return false;
    }

    /** The vendor signature of a hypervisor leaf: EBX, ECX, EDX as ASCII, NULs and non-printables dropped. */
    static String signature(byte[] leaf) {
        StringBuilder sb = new StringBuilder(12);
        for (int i = 4; i < 16; i++) {
            int b = leaf[i] & 0xFF;
            if (b >= 0x20 && b < 0x7F) {
                sb.append((char) b);
            }
        }
        return sb.toString().strip();
    }

    private static int littleEndianInt(byte[] b, int off) {
        return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8 | (b[off + 2] & 0xFF) << 16 | (b[off + 3] & 0xFF) << 24;
    }

    static void sysinfoClues(Probe p) {
        Clues c = p.clues();
        Optional<String> text = p.text(SYSINFO, "s390.sysinfo");
        if (text.isEmpty()) {
            return;
        }
        List<String> levels = CpuParsers.parseSysinfoLevels(text.get());
        if (!levels.isEmpty()) {
            String inner = levels.get(0);
            String shown = "VM00 Control Program: " + inner + (levels.size() > 1 ? " (" + levels.size() + " levels)" : "");
            String low = inner.toLowerCase(Locale.ROOT);
            if (low.startsWith("z/vm")) {
                c.add("s390.sysinfo", shown, SYSINFO, "hypervisor=zvm", 0.9);
            } else if (low.startsWith("kvm")) {
                c.add("s390.sysinfo", shown, SYSINFO, "hypervisor=kvm", 0.9);
            } else {
                c.add("s390.sysinfo", shown, SYSINFO, "vm", 0.8);
            }
        } else if (CpuParsers.sysinfoHasLpar(text.get())) {
            c.add("s390.sysinfo", "LPAR without a VM level (PR/SM only)", SYSINFO, "hypervisor=none", 0.7);
        }
    }

    /** Exact (case-insensitive) key, else the first word of the value. */
    static List<String> lookup(Map<String, List<String>> table, String value) {
        String v = value.strip();
        for (Map.Entry<String, List<String>> e : table.entrySet()) {
            if (e.getKey().strip().equalsIgnoreCase(v)) {
                return e.getValue();
            }
        }
        String first = v.split("\\s+")[0];
        for (Map.Entry<String, List<String>> e : table.entrySet()) {
            if (e.getKey().strip().equalsIgnoreCase(first)) {
                return e.getValue();
            }
        }
        return List.of();
    }

    private static String firstMatchingLine(String text, Match m) {
        return text.lines().filter(m::test).findFirst().orElse(text).strip();
    }
}

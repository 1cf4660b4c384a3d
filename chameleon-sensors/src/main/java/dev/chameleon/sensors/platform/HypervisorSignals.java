package dev.chameleon.sensors.platform;

import dev.chameleon.host.Command;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Hypervisor interfaces the guest kernel exposes: marker files (the {@code files} table),
 * /proc/xen and the Xen toolstack, /sys/hypervisor, the device tree, loaded modules, virtio
 * serial port names, ACPI device ids, and the KVM device (a host capability, not a guest sign).
 */
public final class HypervisorSignals {
    static final Command XL_LIST = Command.named("xl-list", "xl", "list");
    static final Command XM_LIST = Command.named("xm-list", "xm", "list");
    static final String DT = "/proc/device-tree";

    private HypervisorSignals() {
    }

    public static void read(Probe p) {
        files(p);
        xen(p);
        deviceTree(p);
        modules(p);
        virtioPorts(p);
        acpiDevices(p);
        if (p.exists("/sys/devices/virtual/misc/kvm")) {
            p.clues().kvmHostCapable = true;
            p.clues().note("kvm.device", "present: this machine can run KVM guests itself (not a guest sign)",
                    "/sys/devices/virtual/misc/kvm");
        }
    }

    /** The generic {@code files} table: existence, optionally content and architecture. */
    static void files(Probe p) {
        Clues c = p.clues();
        for (Signatures.FileRule r : p.tables().files()) {
            if (!p.exists(r.path())) {
                continue;
            }
            if (r.arch() != null && !Pattern.compile(r.arch()).matcher(c.arch).find()) {
                continue;
            }
            String value = "exists";
            if (Boolean.TRUE.equals(r.nonEmpty())) {
                List<String> entries = p.list(r.path());
                if (entries.isEmpty()) {
                    continue;
                }
                value = "holds " + String.join(", ", entries.subList(0, Math.min(4, entries.size())));
            }
            if (r.contains() != null) {
                Optional<String> t = p.text(r.path(), "file");
                if (t.isEmpty() || !Match.parse(r.contains()).test(t.get())) {
                    continue;
                }
                value = t.get().strip();
            }
            if (r.name() != null) {
                value = value + " (" + r.name() + ")";
            }
            for (String s : r.supports()) {
                c.add(signal(r.path()), value, r.path(), s, r.weightOr(0.7));
            }
        }
    }

    static String signal(String path) {
        if (path.startsWith("/.docker") || path.startsWith("/run/.container")) {
            return "container." + path.substring(path.lastIndexOf('/') + 2);
        }
        return "file" + path.replace('/', '.');
    }

    static void xen(Probe p) {
        Clues c = p.clues();
        p.text("/proc/xen/capabilities", "xen.capabilities").ifPresent(t -> {
            if (t.contains("control_d")) {
                c.add("xen.capabilities", "control_d (dom0)", "/proc/xen/capabilities", "hypervisor=xen", 0.95);
            }
        });
        for (Command cmd : List.of(XL_LIST, XM_LIST)) {
            p.output(cmd).ifPresent(out -> {
                if (out.contains("Domain-0")) {
                    c.add("xen.toolstack", "Domain-0 listed (dom0)", Probe.source(cmd), "hypervisor=xen", 0.95);
                }
            });
        }
        p.text("/sys/hypervisor/type", "hypervisor.type").map(String::strip).filter(t -> !t.isEmpty()
                && !t.equalsIgnoreCase("xen")).ifPresent(t -> c.add("hypervisor.type", t, "/sys/hypervisor/type", "vm", 0.6));
    }

    static void deviceTree(Probe p) {
        Clues c = p.clues();
        p.text(DT + "/hypervisor/compatible", "devicetree.hypervisor").ifPresent(t -> {
            boolean known = false;
            for (String compat : t.split("[\\x00\\n]")) {
                List<String> s = CpuSignals.lookup(p.tables().deviceTreeHypervisor(), compat.strip());
                for (String x : s) {
                    c.add("devicetree.hypervisor", compat.strip(), DT + "/hypervisor/compatible", x, 0.9);
                    known = true;
                }
            }
            if (!known && !t.isBlank()) {
                c.add("devicetree.hypervisor", t, DT + "/hypervisor/compatible", "vm", 0.8);
            }
        });
        boolean fwCfg = p.list(DT).stream().anyMatch(n -> n.startsWith("fw-cfg"));
        if (fwCfg) {
            c.add("devicetree.fw-cfg", "fw-cfg node (QEMU firmware config)", DT, "family=qemu", 0.6);
        }
        p.text(DT + "/compatible", "devicetree.compatible").ifPresent(t -> {
            if (t.contains("linux,dummy-virt") && !fwCfg) {
                c.add("devicetree.compatible", "linux,dummy-virt without fw-cfg (kvmtool)", DT + "/compatible", "hypervisor=kvm", 0.7);
                c.add("devicetree.compatible", "linux,dummy-virt without fw-cfg (kvmtool)", DT + "/compatible", "vmm=kvmtool", 0.7);
            } else if (t.contains("linux,dummy-virt")) {
                c.add("devicetree.compatible", "linux,dummy-virt", DT + "/compatible", "family=qemu", 0.6);
            }
        });
    }

    static void modules(Probe p) {
        Clues c = p.clues();
        p.text("/proc/modules", "modules").ifPresent(t -> {
            for (String line : t.split("\n")) {
                String name = line.strip().split("\\s+")[0];
                List<String> s = p.tables().modules().get(name);
                if (s != null) {
                    for (String x : s) {
                        c.add("module", name, "/proc/modules", x, 0.7);
                    }
                }
            }
        });
    }

    static void virtioPorts(Probe p) {
        Clues c = p.clues();
        String dir = "/sys/class/virtio-ports";
        List<String> ports = p.list(dir);
        for (String port : ports) {
            String path = dir + "/" + port + "/name";
            Optional<String> name = p.text(path, "virtio-port");
            if (name.isEmpty()) {
                continue;
            }
            String n = name.get().strip();
            List<String> s = p.tables().virtioPorts().getOrDefault(n, List.of());
            if (s.isEmpty()) {
                c.add("virtio-port.name", n, path, "vm", 0.5);
            }
            for (String x : s) {
                c.add("virtio-port.name", n, path, x, 0.8);
            }
        }
    }

    static void acpiDevices(Probe p) {
        Clues c = p.clues();
        String dir = "/sys/bus/acpi/devices";
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String dev : p.list(dir)) {
            String hid = dev.contains(":") ? dev.substring(0, dev.indexOf(':')) : dev;
            List<String> s = p.tables().acpiDevices().get(hid);
            if (s != null && seen.add(hid)) {
                for (String x : s) {
                    c.add("acpi.device", hid, dir + "/" + dev, x, 0.6);
                }
            }
        }
    }
}

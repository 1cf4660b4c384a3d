package dev.chameleon.sensors.platform;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the guest kernel itself concluded about its hypervisor, for machines where the CPUID
 * signature cannot be read (virt-what's helper not installed, the {@code cpuid} module not
 * loaded, not root) and on every architecture where the kernel has a paravirtual clock:
 *
 * <ul>
 * <li>the clocksources the kernel registered,
 * {@code /sys/devices/system/clocksource/clocksource0/available_clocksource} (and the current one,
 * {@code current_clocksource}): {@code kvm-clock}, {@code hyperv_clocksource_tsc_page},
 * {@code xen} exist only when the kernel found that hypervisor's paravirtual interface (the
 * {@code clocksources} table). The available list is read, not only the current one: a KVM
 * guest with an invariant TSC runs on {@code tsc} with {@code kvm-clock} registered beside it.</li>
 * <li>the kernel log ({@code dmesg}, x86 only, run only when no CPUID signature was read):
 * {@code Hypervisor detected: KVM} and {@code Booting paravirtualized kernel on KVM}, printed at
 * boot from the same CPUID leaves (the {@code kernelLog} table).</li>
 * </ul>
 *
 * <p>On x86 a readable source that shows no KVM is noted as such ({@link Clues#noKvmSeen}): under
 * QEMU firmware, no KVM in the CPUID signature, the clocksources and the kernel log means an
 * emulated machine (TCG), as systemd-detect-virt answers {@code qemu} from DMI when CPUID shows
 * no KVM. A kernel log that no longer reaches back to boot (its first line is not
 * {@code Linux version}) shows nothing either way.
 */
public final class KernelSignals {
    static final String CLOCKSOURCE = "/sys/devices/system/clocksource/clocksource0/";
    static final Command DMESG = Command.of("dmesg");

    private KernelSignals() {
    }

    public static void read(Probe p) {
        clocksources(p);
        if (p.clues().isX86() && !p.clues().cpuidRead) {
            kernelLog(p);
        }
    }

    static void clocksources(Probe p) {
        Clues c = p.clues();
        Optional<String> available = p.text(CLOCKSOURCE + "available_clocksource", "clocksource.available").map(String::strip);
        Optional<String> current = p.text(CLOCKSOURCE + "current_clocksource", "clocksource.current").map(String::strip);
        Set<String> names = new LinkedHashSet<>();
        available.ifPresent(a -> names.addAll(List.of(a.split("\\s+"))));
        current.ifPresent(names::add);
        names.remove("");
        if (names.isEmpty()) {
            return;
        }
        boolean kvm = false;
        for (String n : names) {
            List<String> supports = p.tables().clocksources().get(n);
            if (supports == null) {
                continue;
            }
            boolean isCurrent = current.isPresent() && current.get().equals(n);
            String signal = isCurrent ? "clocksource.current" : "clocksource.available";
            String source = CLOCKSOURCE + (isCurrent ? "current_clocksource" : "available_clocksource");
            for (String s : supports) {
                c.add(signal, n + (isCurrent ? " (current)" : " (registered; current: " + current.orElse("?") + ")"), source, s, 0.75);
                kvm |= s.equals("hypervisor=kvm");
            }
        }
        if (!kvm && c.isX86()) {
            c.noKvm("clocksources " + String.join(", ", names) + " (no kvm-clock)",
                    CLOCKSOURCE + (available.isPresent() ? "available_clocksource" : "current_clocksource"));
        }
    }

    static void kernelLog(Probe p) {
        Clues c = p.clues();
        CommandResult r = p.run(DMESG);
        if (!r.ok() || r.stdout().isBlank()) {
            if (r.status() == CommandResult.Status.RAN) {
                c.note("kernel.log", "unreadable: exit " + r.exitCode() + (r.stderr().isBlank() ? "" : ", " + r.stderr().strip()),
                        Probe.source(DMESG));
            }
            return;
        }
        String text = r.stdout();
        boolean fromBoot = text.lines().limit(5).anyMatch(l -> l.contains("Linux version"));
        List<String> hits = new ArrayList<>();
        boolean kvm = false;
        for (String line : text.split("\n")) {
            if (!line.contains("Hypervisor detected") && !line.contains("Booting paravirtualized kernel")) {
                continue;
            }
            String shown = line.replaceFirst("^\\s*\\[[^]]*]\\s*", "").strip();
            for (Signatures.TextRule rule : p.tables().kernelLog()) {
                if (!Match.parse(rule.match()).test(shown)) {
                    continue;
                }
                hits.add(shown);
                for (String s : rule.supports()) {
                    c.add("kernel.log", shown, Probe.source(DMESG), s, rule.weightOr(0.8));
                    kvm |= s.equals("hypervisor=kvm");
                }
            }
        }
        if (!kvm && fromBoot) {
            c.noKvm("kernel log from boot: " + (hits.isEmpty() ? "no 'Hypervisor detected' line" : String.join("; ", hits)),
                    Probe.source(DMESG));
        }
    }
}

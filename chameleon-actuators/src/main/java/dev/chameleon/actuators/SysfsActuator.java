package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.model.SettingKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Named kernel knobs under {@code /sys}, each with its allowed values:
 *
 * <table>
 * <caption>knobs</caption>
 * <tr><th>target</th><th>file</th><th>allowed values</th></tr>
 * <tr><td>{@code thp.enabled}</td><td>{@code /sys/kernel/mm/transparent_hugepage/enabled}</td><td>the bracketed list in the file</td></tr>
 * <tr><td>{@code thp.defrag}</td><td>{@code /sys/kernel/mm/transparent_hugepage/defrag}</td><td>the bracketed list in the file</td></tr>
 * <tr><td>{@code cpu.governor}</td><td>{@code /sys/devices/system/cpu/cpuN/cpufreq/scaling_governor}, every CPU</td><td>{@code scaling_available_governors}</td></tr>
 * <tr><td>{@code cpu.epp}</td><td>{@code …/cpufreq/energy_performance_preference}, every CPU</td><td>{@code energy_performance_available_preferences}</td></tr>
 * <tr><td>{@code smt.control}</td><td>{@code /sys/devices/system/cpu/smt/control}</td><td>{@code on}, {@code off} ({@code forceoff} is refused: only a reboot undoes it)</td></tr>
 * </table>
 *
 * <p>Values are normalised to the selected word ({@code always [madvise] never} → {@code madvise}).
 * Per-CPU knobs read as one word when every CPU agrees, else as {@code cpu0=powersave,cpu1=performance};
 * both forms can be written back, so undo restores a mixed state exactly. Not applicable when the
 * file is missing (no THP, no cpufreq in this VM, no SMT control) or the value is not allowed.
 */
public final class SysfsActuator extends KernelFileActuator {
    private static final String CPUS = "/sys/devices/system/cpu";
    private static final Map<String, String> SINGLE = Map.of(
            "thp.enabled", "/sys/kernel/mm/transparent_hugepage/enabled",
            "thp.defrag", "/sys/kernel/mm/transparent_hugepage/defrag",
            "smt.control", CPUS + "/smt/control");
    private static final Map<String, String[]> PER_CPU = Map.of(
            "cpu.governor", new String[] {"scaling_governor", "scaling_available_governors"},
            "cpu.epp", new String[] {"energy_performance_preference", "energy_performance_available_preferences"});

    /** Every knob this actuator knows, for policies and docs. */
    public static final List<String> KNOBS = List.of("thp.enabled", "thp.defrag", "cpu.governor", "cpu.epp", "smt.control");

    @Override
    public String kind() {
        return "sysfs";
    }

    /** The file of a single-file knob. */
    @Override
    String path(SettingKey key) {
        String p = SINGLE.get(key.target());
        if (p == null) {
            throw new IllegalArgumentException("sysfs " + key.target() + " is not a single file");
        }
        return p;
    }

    @Override
    String absent(Host host, SettingKey key, String path) {
        return "no " + path + " on this machine (" + (key.target().startsWith("thp") ? "kernel without transparent huge pages"
                : "kernel without SMT control") + ")";
    }

    @Override
    Current present(SettingKey key, String text) {
        String v = Values.selected(text);
        if (key.target().equals("smt.control") && !v.equals("on") && !v.equals("off")) {
            return Current.notApplicable("SMT control is '" + v + "' here and cannot be changed at run time");
        }
        return Current.value(v);
    }

    @Override
    public Current read(Host host, SettingKey key) {
        String t = key.target();
        if (SINGLE.containsKey(t)) {
            return super.read(host, key);
        }
        if (PER_CPU.containsKey(t)) {
            Map<String, String> values = new LinkedHashMap<>();
            for (String cpu : cpus(host)) {
                String p = CPUS + "/" + cpu + "/cpufreq/" + PER_CPU.get(t)[0];
                HostFile f = host.root().read(p);
                if (f.status() == HostFile.Status.UNREADABLE) {
                    return Current.error("cannot read " + p + ": " + f.error());
                }
                if (f.isPresent()) {
                    values.put(cpu, f.trimmed());
                }
            }
            if (values.isEmpty()) {
                return Current.notApplicable("no cpufreq " + PER_CPU.get(t)[0] + " here (" + CPUS
                        + "/cpu0/cpufreq does not exist; usual in a VM, where the host owns CPU frequency)");
            }
            if (values.values().stream().distinct().count() == 1) {
                return Current.value(values.values().iterator().next());
            }
            List<String> parts = new ArrayList<>();
            values.forEach((c, v) -> parts.add(c + "=" + v));
            return Current.value(String.join(",", parts));
        }
        return Current.notApplicable("unknown sysfs knob '" + t + "' (known: " + String.join(", ", KNOBS) + ")");
    }

    /** CPU folders ({@code cpu0}, {@code cpu1}, …) in numeric order. */
    static List<String> cpus(Host host) {
        List<String> out = new ArrayList<>();
        for (String n : host.root().list(CPUS)) {
            if (n.matches("cpu\\d+")) {
                out.add(n);
            }
        }
        out.sort((a, b) -> Integer.compare(Integer.parseInt(a.substring(3)), Integer.parseInt(b.substring(3))));
        return out;
    }

    @Override
    public String normalize(SettingKey key, String value) {
        return Values.selected(value);
    }

    @Override
    public Current resolve(SettingKey key, String desired, String current) {
        String d = normalize(key, desired);
        if (key.target().equals("smt.control")) {
            return d.equals("forceoff") ? Current.notApplicable("smt.control forceoff cannot be undone without a reboot; use off")
                    : Values.oneOf(d, List.of("on", "off"));
        }
        return Current.value(d);
    }

    @Override
    public Optional<String> machineCheck(SettingKey key, String desired) {
        return SINGLE.containsKey(key.target()) && !key.target().equals("smt.control") || PER_CPU.containsKey(key.target())
                ? Optional.of("whether this machine offers '" + normalize(key, desired) + "' for " + key.target()
                + " (its choices are read on the machine)") : Optional.empty();
    }

    @Override
    public Current target(Host host, SettingKey key, String desired, Current current) {
        Current r = resolve(key, desired, current.value());
        String t = key.target();
        if (!r.isValue() || t.equals("smt.control")) {
            return r;
        }
        Optional<String> choices = Optional.empty();
        if (SINGLE.containsKey(t)) {
            choices = host.root().readTrimmed(SINGLE.get(t));
        } else if (PER_CPU.containsKey(t)) {
            List<String> cpus = cpus(host);
            if (!cpus.isEmpty()) {
                choices = host.root().readTrimmed(CPUS + "/" + cpus.get(0) + "/cpufreq/" + PER_CPU.get(t)[1]);
            }
        }
        return choices.map(c -> Values.oneOf(r.value(), Values.choices(c))).orElse(r);
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        String t = key.target();
        if (SINGLE.containsKey(t)) {
            super.write(host, key, value, before);
            return;
        }
        Map<String, String> perCpu = new LinkedHashMap<>();
        if (value.contains("=")) {
            for (String part : value.split(",")) {
                int eq = part.indexOf('=');
                perCpu.put(part.substring(0, eq), part.substring(eq + 1));
            }
        } else {
            for (String cpu : cpus(host)) {
                if (host.root().exists(CPUS + "/" + cpu + "/cpufreq/" + PER_CPU.get(t)[0])) {
                    perCpu.put(cpu, value);
                }
            }
        }
        for (Map.Entry<String, String> e : perCpu.entrySet()) {
            writeFile(host, key, CPUS + "/" + e.getKey() + "/cpufreq/" + PER_CPU.get(t)[0], e.getValue());
        }
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        String t = key.target();
        if (SINGLE.containsKey(t)) {
            return super.manualCommand(key, value);
        }
        if (PER_CPU.containsKey(t) && value.contains("=")) {
            List<String> parts = new ArrayList<>();
            for (String part : value.split(",")) {
                int eq = part.indexOf('=');
                parts.add("echo " + part.substring(eq + 1) + " > " + CPUS + "/" + part.substring(0, eq) + "/cpufreq/" + PER_CPU.get(t)[0]);
            }
            return String.join("; ", parts);
        }
        return "for f in " + CPUS + "/cpu*/cpufreq/" + (PER_CPU.containsKey(t) ? PER_CPU.get(t)[0] : t) + "; do echo " + value + " > $f; done";
    }
}

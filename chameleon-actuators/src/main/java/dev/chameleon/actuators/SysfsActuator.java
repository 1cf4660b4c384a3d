package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.model.SettingKey;
import java.io.IOException;
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
public final class SysfsActuator implements Actuator {
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

    @Override
    public Current read(Host host, SettingKey key) {
        String t = key.target();
        if (SINGLE.containsKey(t)) {
            String p = SINGLE.get(t);
            HostFile f = host.root().read(p);
            return switch (f.status()) {
                case PRESENT -> smtState(t, Values.selected(f.text()));
                case ABSENT -> Current.notApplicable("no " + p + " on this machine (" + (t.startsWith("thp") ? "kernel without transparent huge pages"
                        : "kernel without SMT control") + ")");
                case UNREADABLE -> Current.error("cannot read " + p + ": " + f.error());
            };
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

    private static Current smtState(String target, String v) {
        if (target.equals("smt.control") && !v.equals("on") && !v.equals("off")) {
            return Current.notApplicable("SMT control is '" + v + "' here and cannot be changed at run time");
        }
        return Current.value(v);
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
    public Current target(Host host, SettingKey key, String desired, Current current) {
        String t = key.target();
        String d = normalize(key, desired);
        if (t.equals("smt.control")) {
            return d.equals("forceoff") ? Current.notApplicable("smt.control forceoff cannot be undone without a reboot; use off")
                    : Values.oneOf(d, List.of("on", "off"));
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
        return choices.map(c -> Values.oneOf(d, Values.choices(c))).orElse(Current.value(d));
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        String t = key.target();
        if (SINGLE.containsKey(t)) {
            writeFile(host, key, SINGLE.get(t), value);
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

    private static void writeFile(Host host, SettingKey key, String path, String value) throws ActuatorException {
        try {
            host.root().writeKernelFile(path, value);
        } catch (IOException e) {
            throw new ActuatorException("sysfs " + key.target() + " = " + value + ": the kernel refused the write to " + path
                    + " (" + SysctlActuator.kernelAnswer(e) + ")", e);
        }
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        String t = key.target();
        if (SINGLE.containsKey(t)) {
            return "echo " + value + " > " + SINGLE.get(t);
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

package dev.chameleon.actuators;

import dev.chameleon.model.SettingEncodings;
import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.Host;
import dev.chameleon.model.SettingKey;
import dev.chameleon.model.PlanEntry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * systemd units, through {@code systemctl} (run by the host's command runner) and drop-in files.
 *
 * <ul>
 * <li>{@code service:UNIT/active} — {@code running} or {@code stopped}, from
 * {@code systemctl show -p LoadState -p ActiveState -p UnitFileState UNIT} (ActiveState
 * {@code active}, {@code activating}, {@code reloading} are running); written with
 * {@code systemctl start|stop UNIT}. A unit that fails to start is an error quoting systemctl.</li>
 * <li>{@code service:UNIT/enabled} — {@code enabled}, {@code disabled} or {@code masked}
 * (UnitFileState); written with {@code systemctl enable|disable|mask UNIT}, unmasking first when
 * leaving {@code masked}. Static and generated units are not applicable.</li>
 * <li>{@code service:UNIT/CPUWeight}, {@code IOWeight}, {@code MemoryHigh}, {@code MemoryMax}, {@code AllowedCPUs} — a
 * resource control in the drop-in {@code /etc/systemd/system/UNIT.d/90-chameleon-PROPERTY.conf};
 * value as systemd writes it ({@code 200}, {@code 512M}, {@code 80%}, {@code infinity}, {@code 0-1}) or
 * {@code absent}; followed by {@code systemctl daemon-reload}.</li>
 * </ul>
 * UNIT without a suffix means {@code UNIT.service}. Not applicable without systemd
 * ({@code /run/systemd/system} absent) or when the unit is not found.
 */
public final class ServiceActuator implements Actuator {
    /** The resource controls a policy may set through drop-ins. */
    public static final List<String> RESOURCES = List.of("CPUWeight", "IOWeight", "MemoryHigh", "MemoryMax", "AllowedCPUs");

    @Override
    public String kind() {
        return "service";
    }

    @Override
    public Optional<String> unavailable(Host host) {
        return host.root().isDirectory("/run/systemd/system") ? Optional.empty()
                : Optional.of("no systemd here (/run/systemd/system does not exist)");
    }

    static String unit(SettingKey key) {
        String t = key.target();
        int slash = t.lastIndexOf('/');
        String u = slash < 0 ? t : t.substring(0, slash);
        return u.contains(".") ? u : u + ".service";
    }

    static String aspect(SettingKey key) {
        int slash = key.target().lastIndexOf('/');
        return slash < 0 ? "active" : key.target().substring(slash + 1);
    }

    static String dropIn(String unit, String property) {
        return "/etc/systemd/system/" + unit + ".d/90-chameleon-" + property + ".conf";
    }

    /** {@code systemctl show} properties of a unit, or an error / not-applicable. */
    static Current show(Host host, String unit, Map<String, String> into) {
        Command c = Command.of("systemctl", "show", "-p", "LoadState", "-p", "ActiveState", "-p", "UnitFileState", unit);
        CommandResult r = host.commands().run(c);
        if (!r.ok()) {
            return Current.error("cannot run '" + c.display() + "': " + (r.stderr().isBlank() ? r.status() + " " + r.exitCode() : r.stderr().strip()));
        }
        for (String line : r.stdout().split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                into.put(line.substring(0, eq), line.substring(eq + 1).strip());
            }
        }
        if (into.getOrDefault("LoadState", "").equals("not-found")) {
            return Current.notApplicable("no unit " + unit + " on this machine");
        }
        return Current.value("");
    }

    @Override
    public Current read(Host host, SettingKey key) {
        String unit = unit(key);
        if (!unit.matches("[A-Za-z0-9@_.:\\\\-]+") || unit.contains("..")) {
            return Current.notApplicable("'" + unit + "' is not a unit name");
        }
        String aspect = aspect(key);
        if (RESOURCES.contains(aspect)) {
            Current f = ManagedFile.read(host, dropIn(unit, aspect));
            if (!f.isValue() || f.value().equals(SettingEncodings.ABSENT)) {
                return f;
            }
            for (String line : f.value().split("\n")) {
                if (line.startsWith(aspect + "=")) {
                    return Current.value(line.substring(aspect.length() + 1).strip());
                }
            }
            return Current.error(dropIn(unit, aspect) + " does not set " + aspect + "; it was edited by hand");
        }
        Map<String, String> p = new HashMap<>();
        Current shown = show(host, unit, p);
        if (!shown.isValue()) {
            return shown;
        }
        return switch (aspect) {
            case "active" -> {
                String s = p.getOrDefault("ActiveState", "");
                yield Current.value(s.equals("active") || s.equals("activating") || s.equals("reloading") ? "running" : "stopped");
            }
            case "enabled" -> {
                String s = p.getOrDefault("UnitFileState", "");
                if (p.getOrDefault("LoadState", "").equals("masked")) {
                    s = "masked";
                }
                yield switch (s) {
                    case "enabled", "disabled", "masked" -> Current.value(s);
                    case "" -> Current.notApplicable(unit + " has no unit file state (transient or generated unit)");
                    default -> Current.notApplicable(unit + " is '" + s + "' and cannot be enabled or disabled");
                };
            }
            default -> Current.notApplicable("service manages UNIT/active, UNIT/enabled and UNIT/" + String.join(", UNIT/", RESOURCES)
                    + "; not " + key.target());
        };
    }

    /**
     * Orders one unit's {@code enabled} and {@code active} changes so that both the apply and its
     * reverse-order undo work: unmasking comes before starting and masking after stopping (systemd
     * refuses to start a masked unit). Other entries keep their places.
     */
    static List<PlanEntry> order(List<PlanEntry> entries) {
        List<PlanEntry> out = new ArrayList<>(entries);
        for (int i = 0; i < out.size(); i++) {
            PlanEntry e = out.get(i);
            if (!e.key().kind().equals("service") || !aspect(e.key()).equals("enabled")) {
                continue;
            }
            boolean masking = e.target().equals("masked");
            for (int j = 0; j < out.size(); j++) {
                PlanEntry o = out.get(j);
                if (o.key().kind().equals("service") && aspect(o.key()).equals("active") && unit(o.key()).equals(unit(e.key()))) {
                    if (masking && j > i || !masking && j < i) {
                        out.remove(i);
                        out.add(j, e);
                    }
                    break;
                }
            }
        }
        return out;
    }

    @Override
    public Current resolve(SettingKey key, String desired, String current) {
        String d = normalize(key, desired);
        String aspect = aspect(key);
        return switch (aspect) {
            case "active" -> Values.oneOf(d, List.of("running", "stopped"));
            case "enabled" -> Values.oneOf(d, List.of("enabled", "disabled", "masked"));
            case "CPUWeight", "IOWeight" -> d.equals(SettingEncodings.ABSENT) || (aspect.equals("CPUWeight") && d.equals("idle"))
                    || weight(d) ? Current.value(d) : Current.notApplicable(aspect + " must be 1..10000" + (aspect.equals("CPUWeight")
                    ? " or idle" : "") + ", not '" + d + "'");
            case "AllowedCPUs" -> d.equals(SettingEncodings.ABSENT) || SettingEncodings.cpuList(d) ? Current.value(d)
                    : Current.notApplicable("AllowedCPUs must be CPU indexes and ranges (0-3, 0,2,4-7), not '" + d + "'");
            default -> d.equals(SettingEncodings.ABSENT) || d.equals("infinity") || d.matches("\\d+[KMGT]?") || d.matches("\\d{1,3}(\\.\\d+)?%")
                    ? Current.value(d) : Current.notApplicable(aspect + " must be bytes (512M, 2G), a percentage (80%) or infinity, not '" + d + "'");
        };
    }

    private static boolean weight(String d) {
        try {
            long w = Long.parseLong(d);
            return w >= 1 && w <= 10000;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        String unit = unit(key);
        String aspect = aspect(key);
        String what = "service " + key.target() + " = " + value;
        if (RESOURCES.contains(aspect)) {
            String section = unit.endsWith(".slice") ? "Slice" : unit.endsWith(".scope") ? "Scope" : "Service";
            ManagedFile.write(host, dropIn(unit, aspect), value.equals(SettingEncodings.ABSENT) ? SettingEncodings.ABSENT
                    : "[" + section + "]\n" + aspect + "=" + value + "\n", what);
            Commands.run(host, Command.of("systemctl", "daemon-reload"), Commands.QUICK, what);
            return;
        }
        if (aspect.equals("active")) {
            Commands.run(host, Command.of("systemctl", value.equals("running") ? "start" : "stop", unit), Commands.SLOW, what);
            return;
        }
        if (before.equals("masked") && !value.equals("masked")) {
            Commands.run(host, Command.of("systemctl", "unmask", unit), Commands.QUICK, what);
        }
        String verb = switch (value) {
            case "enabled" -> "enable";
            case "masked" -> "mask";
            default -> "disable";
        };
        Commands.run(host, Command.of("systemctl", verb, unit), Commands.QUICK, what);
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        String unit = unit(key);
        String aspect = aspect(key);
        if (RESOURCES.contains(aspect)) {
            return (value.equals(SettingEncodings.ABSENT) ? "rm -f " + dropIn(unit, aspect)
                    : "printf '[Service]\\n" + aspect + "=" + value + "\\n' > " + dropIn(unit, aspect)) + " && systemctl daemon-reload";
        }
        if (aspect.equals("active")) {
            return "systemctl " + (value.equals("running") ? "start " : "stop ") + unit;
        }
        return switch (value) {
            case "enabled" -> "systemctl unmask " + unit + "; systemctl enable " + unit;
            case "masked" -> "systemctl mask " + unit;
            default -> "systemctl unmask " + unit + "; systemctl disable " + unit;
        };
    }
}

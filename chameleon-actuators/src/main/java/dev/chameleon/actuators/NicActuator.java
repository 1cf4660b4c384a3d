package dev.chameleon.actuators;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.model.SettingKey;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Network interface settings, target {@code IFACE/ATTRIBUTE}:
 *
 * <ul>
 * <li>{@code eth0/mtu} (bytes) and {@code eth0/txqueuelen} (packets) — read from
 * {@code /sys/class/net/eth0/mtu} and {@code tx_queue_len}, written with
 * {@code ip link set dev eth0 mtu N | txqueuelen N}.</li>
 * <li>{@code eth0/channels.combined} ({@code rx}, {@code tx}, {@code other}) — queue counts from
 * {@code ethtool -l eth0} ("Current hardware settings"), at most the "Pre-set maximums"; written
 * with {@code ethtool -L eth0 combined N}.</li>
 * <li>{@code eth0/rings.rx} ({@code tx}, {@code rx-mini}, {@code rx-jumbo}) — ring sizes from
 * {@code ethtool -g eth0}, at most the maximums; written with {@code ethtool -G eth0 rx N}.</li>
 * <li>{@code eth0/offload.tso} — {@code on}/{@code off} from {@code ethtool -k eth0}; short names
 * ({@code tso}, {@code gso}, {@code gro}, {@code lro}, {@code sg}, {@code rx}, {@code tx},
 * {@code rxvlan}, {@code txvlan}) or the long names ethtool prints; written with
 * {@code ethtool -K eth0 FEATURE on|off}. A {@code [fixed]} feature is not applicable.</li>
 * </ul>
 * Numbers accept {@code >=N} / {@code <=N}. Not applicable when the interface does not exist or the
 * driver does not report the attribute ({@code n/a}).
 */
public final class NicActuator implements Actuator {
    private static final Map<String, String> FEATURES = Map.of(
            "tso", "tcp-segmentation-offload", "gso", "generic-segmentation-offload", "gro", "generic-receive-offload",
            "lro", "large-receive-offload", "sg", "scatter-gather", "rx", "rx-checksumming", "tx", "tx-checksumming",
            "rxvlan", "rx-vlan-offload", "txvlan", "tx-vlan-offload");

    @Override
    public String kind() {
        return "nic";
    }

    record Target(String iface, String attr) {
    }

    static Target parse(SettingKey key) {
        int i = key.target().indexOf('/');
        if (i <= 0 || i == key.target().length() - 1) {
            return null;
        }
        return new Target(key.target().substring(0, i), key.target().substring(i + 1));
    }

    @Override
    public Current read(Host host, SettingKey key) {
        Target t = parse(key);
        if (t == null || !t.iface().matches("[A-Za-z0-9_.:@-]{1,15}")) {
            return Current.notApplicable("nic target must be IFACE/attribute, got " + key.target());
        }
        String dir = "/sys/class/net/" + t.iface();
        if (!host.root().exists(dir)) {
            return Current.notApplicable("no network interface " + t.iface() + " here (" + dir + " does not exist)");
        }
        String a = t.attr();
        if (a.equals("mtu") || a.equals("txqueuelen")) {
            String p = dir + "/" + (a.equals("mtu") ? "mtu" : "tx_queue_len");
            HostFile f = host.root().read(p);
            return f.isPresent() ? Current.value(f.trimmed()) : Current.error("cannot read " + p + ": " + (f.error().isEmpty() ? "absent" : f.error()));
        }
        if (a.startsWith("channels.") || a.startsWith("rings.")) {
            Current out = ethtool(host, a.startsWith("channels.") ? "-l" : "-g", t.iface());
            if (!out.isValue()) {
                return out;
            }
            String field = a.substring(a.indexOf('.') + 1);
            String v = section(out.value(), "Current hardware settings").get(field);
            if (v == null || v.equals("n/a")) {
                return Current.notApplicable(t.iface() + " does not report " + a + " (ethtool " + (a.startsWith("channels.") ? "-l" : "-g") + ")");
            }
            return Current.value(v);
        }
        if (a.startsWith("offload.")) {
            String feature = feature(a);
            Current out = ethtool(host, "-k", t.iface());
            if (!out.isValue()) {
                return out;
            }
            for (String line : out.value().split("\n")) {
                String l = line.strip();
                if (l.startsWith(feature + ":")) {
                    String v = l.substring(feature.length() + 1).strip();
                    if (v.contains("[fixed]")) {
                        return Current.notApplicable(t.iface() + ": " + feature + " is fixed by the driver (" + v + ")");
                    }
                    return Current.value(v.split("\\s+")[0]);
                }
            }
            return Current.notApplicable(t.iface() + " has no offload feature " + feature + " (ethtool -k)");
        }
        return Current.notApplicable("nic manages mtu, txqueuelen, channels.*, rings.* and offload.*; not " + a);
    }

    static String feature(String attr) {
        String f = attr.substring("offload.".length());
        return FEATURES.getOrDefault(f, f);
    }

    private static Current ethtool(Host host, String flag, String iface) {
        Command c = Command.of("ethtool", flag, iface);
        CommandResult r = host.commands().run(c);
        if (r.status() == CommandResult.Status.NOT_AVAILABLE) {
            return Current.notApplicable("ethtool is not installed");
        }
        if (!r.ok()) {
            String err = r.stderr().strip();
            if (err.contains("Operation not supported")) {
                return Current.notApplicable(iface + ": the driver does not support '" + c.display() + "'");
            }
            return Current.error("'" + c.display() + "' failed: " + (err.isEmpty() ? "exit " + r.exitCode() : err));
        }
        return Current.value(r.stdout());
    }

    /** The "Name: value" lines of one section of ethtool -l/-g output, keys lower-cased with '-' for spaces. */
    static Map<String, String> section(String text, String title) {
        Map<String, String> out = new LinkedHashMap<>();
        boolean in = false;
        for (String line : text.split("\n")) {
            if (line.startsWith(title)) {
                in = true;
                continue;
            }
            if (in && (line.startsWith("Pre-set") || line.startsWith("Current") || line.isBlank())) {
                if (!out.isEmpty()) {
                    break;
                }
                continue;
            }
            int colon = line.indexOf(':');
            if (in && colon > 0) {
                out.put(line.substring(0, colon).strip().toLowerCase(Locale.ROOT).replace(' ', '-'), line.substring(colon + 1).strip());
            }
        }
        return out;
    }

    @Override
    public Current resolve(SettingKey key, String desired, String current) {
        Target t = parse(key);
        String d = normalize(key, desired);
        if (t.attr().startsWith("offload.")) {
            return Values.oneOf(d, java.util.List.of("on", "off"));
        }
        return Values.number("nic " + key.target(), d, current);
    }

    @Override
    public java.util.Optional<String> machineCheck(SettingKey key, String desired) {
        Target t = parse(key);
        return t != null && (t.attr().startsWith("channels.") || t.attr().startsWith("rings."))
                ? java.util.Optional.of("the driver's maximum for " + key.target() + " (ethtool on the machine)") : java.util.Optional.empty();
    }

    @Override
    public Current target(Host host, SettingKey key, String desired, Current current) {
        Target t = parse(key);
        Current n = resolve(key, desired, current.value());
        if (!n.isValue() || t.attr().startsWith("offload.") || t.attr().equals("mtu") || t.attr().equals("txqueuelen")) {
            return n;
        }
        Current out = ethtool(host, t.attr().startsWith("channels.") ? "-l" : "-g", t.iface());
        String max = out.isValue() ? section(out.value(), "Pre-set maximums").get(t.attr().substring(t.attr().indexOf('.') + 1)) : null;
        if (max != null && max.matches("\\d+") && Long.parseLong(n.value()) > Long.parseLong(max)) {
            return Current.notApplicable(key.target() + " = " + n.value() + " is above the driver's maximum " + max);
        }
        return n;
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        Commands.run(host, command(key, value), Commands.QUICK, "nic " + key.target() + " = " + value);
    }

    static Command command(SettingKey key, String value) {
        Target t = parse(key);
        String a = t.attr();
        if (a.equals("mtu") || a.equals("txqueuelen")) {
            return Command.of("ip", "link", "set", "dev", t.iface(), a, value);
        }
        if (a.startsWith("channels.")) {
            return Command.of("ethtool", "-L", t.iface(), a.substring("channels.".length()), value);
        }
        if (a.startsWith("rings.")) {
            return Command.of("ethtool", "-G", t.iface(), a.substring("rings.".length()), value);
        }
        return Command.of("ethtool", "-K", t.iface(), feature(a), value);
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        return command(key, value).display();
    }
}

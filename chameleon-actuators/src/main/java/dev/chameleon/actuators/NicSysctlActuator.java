package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.model.SettingKey;
import dev.chameleon.model.SysctlTypes;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Per-interface kernel parameters of the NICs a policy selects: {@code nicSysctl:NIC/FAMILY.KEY}
 * ({@code nicSysctl:v0.10/ipv4.rp_filter}) is {@code /proc/sys/net/FAMILY/conf/NIC/KEY}
 * ({@code /proc/sys/net/ipv4/conf/v0.10/rp_filter}), the sysctl {@code net.ipv4.conf.v0/10.rp_filter}
 * in sysctl(8)'s notation. Read, compared (in the kernel's form, {@link SysctlTypes}), written,
 * verified and undone as {@link SysctlActuator} does a running value. Not applicable when the NIC
 * or the key does not exist (a NIC gone since it was sensed, a family switched off).
 */
public final class NicSysctlActuator extends KernelFileActuator {
    private static final Pattern TARGET = Pattern.compile("([^/\\s]{1,15})/(ipv4|ipv6)\\.([a-z0-9_]{1,64})");

    @Override
    public String kind() {
        return "nicSysctl";
    }

    @Override
    Optional<String> invalid(SettingKey key) {
        var m = TARGET.matcher(key.target());
        if (!m.matches() || m.group(1).equals(".") || m.group(1).equals("..")) {
            return Optional.of("nicSysctl target must be NIC/ipv4.KEY or NIC/ipv6.KEY, got " + key.target());
        }
        return Optional.empty();
    }

    @Override
    String path(SettingKey key) {
        var m = TARGET.matcher(key.target());
        if (!m.matches()) {
            throw new IllegalArgumentException("nicSysctl target must be NIC/ipv4.KEY or NIC/ipv6.KEY, got " + key.target());
        }
        return "/proc/sys/net/" + m.group(2) + "/conf/" + m.group(1) + "/" + m.group(3);
    }

    /** The sysctl name in sysctl(8)'s dotted form: {@code net.ipv4.conf.v0/10.rp_filter}. */
    static String sysctlName(SettingKey key) {
        var m = TARGET.matcher(key.target());
        return m.matches() ? "net." + m.group(2) + ".conf." + m.group(1).replace('.', '/') + "." + m.group(3) : key.target();
    }

    @Override
    public String normalize(SettingKey key, String value) {
        return SysctlTypes.canonical(sysctlName(key), value);
    }

    @Override
    public Current resolve(SettingKey key, String desired, String current) {
        String d = normalize(key, desired);
        return dev.chameleon.model.SettingEncodings.isRelative(d) ? Values.number("sysctl " + sysctlName(key), d, current) : Current.value(d);
    }

    @Override
    String absent(Host host, SettingKey key, String path) {
        return "no " + path + " (the NIC is gone, or this kernel has no such key)";
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        return "sysctl -w " + sysctlName(key) + "='" + value + "'";
    }
}

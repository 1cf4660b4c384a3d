package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.model.SettingKey;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import dev.chameleon.model.SettingEncodings;
import dev.chameleon.model.SysctlTypes;

/**
 * Kernel parameters.
 *
 * <p>{@code sysctl:vm.swappiness} is the running value in {@code /proc/sys/vm/swappiness}, read and
 * written like {@code sysctl -w}. Values are compared with runs of blanks collapsed
 * ({@code "4096\t87380"} equals {@code "4096 87380"}); a desired {@code >=N} / {@code <=N} resolves
 * against a single-number current value. Not applicable when the file does not exist on this
 * kernel, and for a write-only trigger ({@code net.ipv4.route.flush}). Port lists compare in the
 * kernel's form ({@code 8080,8081,8082} is {@code 8080-8082}, {@link SysctlTypes}). A dot inside an
 * interface name is written {@code /} as sysctl(8) does: {@code sysctl:net.ipv4.conf.v0/10.rp_filter}
 * is {@code /proc/sys/net/ipv4/conf/v0.10/rp_filter}. A kernel refusal (EINVAL, EACCES on a read-only knob) is an {@link ActuatorException}
 * quoting the kernel's answer.
 *
 * <p>{@code sysctl:persist/vm.swappiness} is the boot-time value, kept in the drop-in
 * {@code /etc/sysctl.d/90-chameleon-vm.swappiness.conf} ({@code vm.swappiness = 10}); its value is
 * the number or {@code absent} (no drop-in). Undo restores or removes the drop-in.
 */
public final class SysctlActuator extends KernelFileActuator {
    @Override
    public String kind() {
        return SettingEncodings.SYSCTL;
    }

    @Override
    String path(SettingKey key) {
        return "/proc/sys/" + SysctlTypes.path(name(key));
    }

    static String name(SettingKey key) {
        return SettingEncodings.sysctlName(key);
    }

    static boolean persist(SettingKey key) {
        return SettingEncodings.isSysctlPersisted(key);
    }

    static String dropIn(SettingKey key) {
        return "/etc/sysctl.d/90-chameleon-" + name(key).replace('/', '.') + ".conf";
    }

    @Override
    Optional<String> invalid(SettingKey key) {
        String n = name(key);
        // each dotted part is one path segment (a '/' in it a dot): none may be empty, "." or ".."
        boolean bad = java.util.Arrays.stream(n.split("\\.", -1))
                .map(p -> p.replace('/', '.')).anyMatch(p -> p.isEmpty() || p.equals(".") || p.equals(".."));
        if (bad) {
            return Optional.of("'" + n + "' is not a sysctl name");
        }
        return SysctlTypes.of(n).filter(SysctlTypes.Type::writeOnly)
                .map(t -> n + " is a write-only trigger with no value to hold (" + t.source() + ")");
    }

    /** The value as the kernel prints it ({@link SysctlTypes#canonical}): a port list {@code 8080,8081,8082} is {@code 8080-8082}. */
    @Override
    public String normalize(SettingKey key, String value) {
        return SysctlTypes.canonical(name(key), value);
    }

    @Override
    String absent(Host host, SettingKey key, String path) {
        return "this kernel has no " + key.target() + " (" + path + " does not exist)";
    }

    @Override
    public Current read(Host host, SettingKey key) {
        if (!persist(key) || invalid(key).isPresent()) {
            return super.read(host, key);
        }
        Current f = ManagedFile.read(host, dropIn(key));
        if (!f.isValue() || f.value().equals(SettingEncodings.ABSENT)) {
            return f;
        }
        for (String line : f.value().split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.substring(0, eq).strip().equals(name(key))) {
                return Current.value(normalize(key, line.substring(eq + 1)));
            }
        }
        return Current.error(dropIn(key) + " does not set " + name(key) + "; it was edited by hand");
    }

    @Override
    public Current resolve(SettingKey key, String desired, String current) {
        String d = normalize(key, desired);
        if (!SettingEncodings.isRelative(d)) {
            return Current.value(d);
        }
        if (persist(key) && current.equals(SettingEncodings.ABSENT)) {
            return Current.unknown("the running value of sysctl " + name(key) + " (a relative value for a new drop-in "
                    + "is resolved against it)");
        }
        return Values.number("sysctl " + name(key), d, current);
    }

    /**
     * Sysctls whose value must be one of a list the kernel prints in another file: the choice
     * file of each (net.ipv4.tcp_congestion_control: the algorithms built in or loaded).
     */
    static final Map<String, String> OFFERED_IN = Map.of(
            "net.ipv4.tcp_congestion_control", "net.ipv4.tcp_available_congestion_control");

    /**
     * Why {@code value} is not offered by this kernel for {@code key}, or empty (also when the
     * list cannot be read: the kernel's own refusal at write then says it).
     */
    static Optional<String> notOffered(Host host, SettingKey key, String value) {
        String list = OFFERED_IN.get(name(key));
        if (list == null) {
            return Optional.empty();
        }
        HostFile f = host.root().read("/proc/sys/" + SysctlTypes.path(list));
        if (f.status() != HostFile.Status.PRESENT) {
            return Optional.empty();
        }
        List<String> offered = List.of(f.text().strip().split("\\s+"));
        String v = value.strip();
        if (offered.contains(v) || moduleOnDisk(host, v)) {
            return Optional.empty(); // a module on disk is loaded by the kernel at the write (tcp_ca_find_autoload)
        }
        return Optional.of("'" + v + "' is not offered by this kernel (" + list + ": " + String.join(" ", offered)
                + "; no module tcp_" + v + " under /lib/modules/RELEASE/kernel/net/ipv4)");
    }

    /** Whether {@code /lib/modules/RELEASE/kernel/net/ipv4/tcp_NAME.ko} (or .ko.xz, .ko.zst, .ko.gz) exists for the running kernel. */
    private static boolean moduleOnDisk(Host host, String name) {
        if (!name.matches("[a-z0-9_]{1,32}")) {
            return false;
        }
        Optional<String> release = host.root().readTrimmed("/proc/sys/kernel/osrelease");
        if (release.isEmpty() || release.get().contains("/")) {
            return false;
        }
        String base = "/lib/modules/" + release.get() + "/kernel/net/ipv4/tcp_" + name + ".ko";
        return List.of("", ".xz", ".zst", ".gz").stream().anyMatch(ext -> host.root().exists(base + ext));
    }

    @Override
    public Current target(Host host, SettingKey key, String desired, Current current) {
        Optional<String> no = notOffered(host, key, desired);
        if (no.isPresent()) {
            return Current.notApplicable(no.get());
        }
        String d = normalize(key, desired);
        if (SettingEncodings.isRelative(d) && persist(key) && current.value().equals(SettingEncodings.ABSENT)) {
            Current running = read(host, new SettingKey(kind(), name(key)));
            return Values.number("sysctl " + name(key), d, running.isValue() ? running.value() : "");
        }
        return resolve(key, desired, current.value());
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        if (persist(key)) {
            ManagedFile.write(host, dropIn(key), value.equals(SettingEncodings.ABSENT) ? SettingEncodings.ABSENT
                    : name(key) + " = " + value + "\n",
                    "sysctl " + key.target() + " = " + value);
            return;
        }
        super.write(host, key, value, before);
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        if (persist(key)) {
            return value.equals(SettingEncodings.ABSENT) ? "rm -f " + dropIn(key)
                    : "echo '" + name(key) + " = " + value + "' > " + dropIn(key);
        }
        return "sysctl -w " + key.target() + "='" + value + "'";
    }
}

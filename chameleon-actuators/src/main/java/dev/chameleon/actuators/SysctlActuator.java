package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.model.SettingKey;
import java.util.Optional;
import dev.chameleon.model.SettingEncodings;

/**
 * Kernel parameters.
 *
 * <p>{@code sysctl:vm.swappiness} is the running value in {@code /proc/sys/vm/swappiness}, read and
 * written like {@code sysctl -w}. Values are compared with runs of blanks collapsed
 * ({@code "4096\t87380"} equals {@code "4096 87380"}); a desired {@code >=N} / {@code <=N} resolves
 * against a single-number current value. Not applicable when the file does not exist on this
 * kernel. A kernel refusal (EINVAL, EACCES on a read-only knob) is an {@link ActuatorException}
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
        return "/proc/sys/" + name(key).replace('.', '/');
    }

    static String name(SettingKey key) {
        return SettingEncodings.sysctlName(key);
    }

    static boolean persist(SettingKey key) {
        return SettingEncodings.isSysctlPersisted(key);
    }

    static String dropIn(SettingKey key) {
        return "/etc/sysctl.d/90-chameleon-" + name(key) + ".conf";
    }

    @Override
    Optional<String> invalid(SettingKey key) {
        return name(key).contains("/") || name(key).contains("..") ? Optional.of("'" + name(key) + "' is not a sysctl name") : Optional.empty();
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

    @Override
    public Current target(Host host, SettingKey key, String desired, Current current) {
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

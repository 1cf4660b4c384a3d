package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.model.SettingKey;
import java.io.IOException;

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
public final class SysctlActuator implements Actuator {
    static final String PERSIST = "persist/";

    @Override
    public String kind() {
        return "sysctl";
    }

    static String path(SettingKey key) {
        return "/proc/sys/" + name(key).replace('.', '/');
    }

    static String name(SettingKey key) {
        String t = key.target();
        return t.startsWith(PERSIST) ? t.substring(PERSIST.length()) : t;
    }

    static boolean persist(SettingKey key) {
        return key.target().startsWith(PERSIST);
    }

    static String dropIn(SettingKey key) {
        return "/etc/sysctl.d/90-chameleon-" + name(key) + ".conf";
    }

    @Override
    public Current read(Host host, SettingKey key) {
        if (name(key).contains("/") || name(key).contains("..")) {
            return Current.notApplicable("'" + name(key) + "' is not a sysctl name");
        }
        if (persist(key)) {
            Current f = ManagedFile.read(host, dropIn(key));
            if (!f.isValue() || f.value().equals(ManagedFile.ABSENT)) {
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
        HostFile f = host.root().read(path(key));
        return switch (f.status()) {
            case PRESENT -> Current.value(normalize(key, f.text()));
            case ABSENT -> Current.notApplicable("this kernel has no " + key.target() + " (" + path(key) + " does not exist)");
            case UNREADABLE -> Current.error("cannot read " + path(key) + ": " + f.error());
        };
    }

    @Override
    public Current target(Host host, SettingKey key, String desired, Current current) {
        String d = normalize(key, desired);
        if (Values.isRelative(d)) {
            String base = current.value();
            if (persist(key) && base.equals(ManagedFile.ABSENT)) {
                Current running = read(host, new SettingKey(kind(), name(key)));
                base = running.isValue() ? running.value() : "";
            }
            return Values.number("sysctl " + name(key), d, base);
        }
        return Current.value(d);
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        if (persist(key)) {
            ManagedFile.write(host, dropIn(key), value.equals(ManagedFile.ABSENT) ? ManagedFile.ABSENT
                    : name(key) + " = " + value + "\n",
                    "sysctl " + key.target() + " = " + value);
            return;
        }
        try {
            host.root().writeKernelFile(path(key), value);
        } catch (IOException e) {
            throw new ActuatorException("sysctl " + key.target() + " = " + value + ": the kernel refused the write to "
                    + path(key) + " (" + kernelAnswer(e) + ")", e);
        }
    }

    static String kernelAnswer(IOException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "it does not exist";
        }
        if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        int i = m.lastIndexOf('(');
        return i >= 0 && m.endsWith(")") ? m.substring(i + 1, m.length() - 1) : m;
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        if (persist(key)) {
            return value.equals(ManagedFile.ABSENT) ? "rm -f " + dropIn(key)
                    : "echo '" + name(key) + " = " + value + "' > " + dropIn(key);
        }
        return "sysctl -w " + key.target() + "='" + value + "'";
    }
}

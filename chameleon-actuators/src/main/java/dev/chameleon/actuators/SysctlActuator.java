package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.model.SettingKey;
import java.io.IOException;

/**
 * Kernel parameters under {@code /proc/sys} ({@code vm.swappiness} is
 * {@code /proc/sys/vm/swappiness}), read and written at run time like {@code sysctl -w}.
 * Values are compared with runs of blanks collapsed ({@code "4096\t87380"} equals
 * {@code "4096 87380"}). Not applicable when the file does not exist on this kernel.
 */
public final class SysctlActuator implements Actuator {
    @Override
    public String kind() {
        return "sysctl";
    }

    static String path(SettingKey key) {
        return "/proc/sys/" + key.target().replace('.', '/');
    }

    @Override
    public Current read(Host host, SettingKey key) {
        HostFile f = host.root().read(path(key));
        return switch (f.status()) {
            case PRESENT -> Current.value(normalize(key, f.text()));
            case ABSENT -> Current.notApplicable("this kernel has no " + key.target() + " (" + path(key) + " does not exist)");
            case UNREADABLE -> Current.error("cannot read " + path(key) + ": " + f.error());
        };
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
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
        return "sysctl -w " + key.target() + "='" + value + "'";
    }
}

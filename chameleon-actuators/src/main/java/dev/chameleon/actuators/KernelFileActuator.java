package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.model.SettingKey;
import java.io.IOException;
import java.util.Optional;

/**
 * The shape every kernel-file kind shares (sysctl, sysfs, blockQueue, hugepages): the setting is
 * one file under {@code /proc} or {@code /sys}; read is the file's normalised text (absent: not
 * applicable here; unreadable: an error), write is one {@code write(2)} of the value, whose
 * refusal is the kernel's answer quoted, verify is read-and-compare, and undo is a write of the old
 * value. A subclass says which file a key is, what a missing file means, and how values compare.
 */
abstract class KernelFileActuator implements Actuator {
    /**
     * The machine path of the key's file ({@code /proc/sys/vm/swappiness}).
     *
     * @throws IllegalArgumentException when the key names no file of this kind (see {@link #invalid})
     */
    abstract String path(SettingKey key);

    /** Why the key names nothing this kind manages, or empty; checked before {@link #path}. */
    Optional<String> invalid(SettingKey key) {
        return Optional.empty();
    }

    /** The not-applicable note when the key's file does not exist. */
    abstract String absent(Host host, SettingKey key, String path);

    /** The current value from the file's text (the default: normalised). */
    Current present(SettingKey key, String text) {
        return Current.value(normalize(key, text));
    }

    @Override
    public Current read(Host host, SettingKey key) {
        Optional<String> bad = invalid(key);
        if (bad.isPresent()) {
            return Current.notApplicable(bad.get());
        }
        String p = path(key);
        HostFile f = host.root().read(p);
        return switch (f.status()) {
            case PRESENT -> present(key, f.text());
            case ABSENT -> Current.notApplicable(absent(host, key, p));
            case UNREADABLE -> Current.error("cannot read " + p + ": " + f.error());
        };
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        writeFile(host, key, path(key), value);
    }

    /** Writes {@code value} to the kernel file {@code path}; a refusal is an {@link ActuatorException} quoting the kernel. */
    void writeFile(Host host, SettingKey key, String path, String value) throws ActuatorException {
        try {
            host.root().writeKernelFile(path, value);
        } catch (IOException e) {
            throw new ActuatorException(kind() + " " + key.target() + " = " + value + ": the kernel refused the write to " + path
                    + " (" + kernelAnswer(e) + ")", e);
        }
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        return "echo " + value + " > " + path(key);
    }

    /** The kernel's answer to a refused write, in words ({@code Invalid argument}, {@code permission denied}). */
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
}

package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.model.SettingEncodings;
import dev.chameleon.host.HostFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.chameleon.host.SysRoot;

/**
 * A small configuration file that Chameleon owns outright (a drop-in such as
 * {@code /etc/sysctl.d/90-chameleon-vm.swappiness.conf}): present with a content, or absent.
 * Writes replace the file atomically (temporary file, fsync, rename); removal deletes it. Paths are
 * machine paths resolved under the host's root.
 */
final class ManagedFile {
    /** The first line of every file Chameleon writes; a file without it was written by someone else. */
    static final String HEADER = "# Managed by chameleon; 'chameleon rollback' removes it.\n";

    private ManagedFile() {
    }

    /**
     * The file's text without the header, {@link SettingEncodings#ABSENT}, or an error; a file that exists without
     * Chameleon's header is an error, so that a hand-written file is never overwritten.
     */
    static Current read(Host host, String path) {
        HostFile f = host.root().read(path);
        return switch (f.status()) {
            case PRESENT -> f.text().startsWith(HEADER) ? Current.value(f.text().substring(HEADER.length()))
                    : Current.error(path + " exists but was not written by chameleon (no '" + HEADER.strip() + "' line); leaving it alone");
            case ABSENT -> Current.value(SettingEncodings.ABSENT);
            case UNREADABLE -> Current.error("cannot read " + path + ": " + f.error());
        };
    }

    /**
     * Writes the header and {@code text} atomically with mode 0644, or deletes the file when
     * {@code text} is {@link SettingEncodings#ABSENT}; an emptied systemd drop-in folder ({@code UNIT.d}) goes too.
     */
    static void write(Host host, String path, String text, String what) throws ActuatorException {
        Path p = host.root().resolve(path);
        try {
            if (text.equals(SettingEncodings.ABSENT)) {
                Files.deleteIfExists(p);
                Path dir = p.getParent();
                if (path.startsWith("/etc/systemd/system/") && dir.getFileName().toString().endsWith(".d")) {
                    try (var s = Files.list(dir)) {
                        if (s.findAny().isEmpty()) {
                            Files.delete(dir);
                        }
                    }
                }
            } else {
                SysRoot.writeAtomically(p, (HEADER + text).getBytes(StandardCharsets.UTF_8));
                Files.setAttribute(p, "unix:mode", 0644);
            }
        } catch (IOException | RuntimeException e) {
            throw new ActuatorException(what + ": cannot " + (text.equals(SettingEncodings.ABSENT) ? "remove " : "write ") + path + " ("
                    + KernelFileActuator.kernelAnswer(e instanceof IOException io ? io : new IOException(e.getMessage())) + ")", e);
        }
    }
}

package dev.chameleon.actuators;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.Host;
import java.time.Duration;

/**
 * Runs the programs actuators change the machine with, through the host's command runner, and
 * turns every failure into an {@link ActuatorException} that names the setting and quotes the
 * program. Each program gets a time limit that fits it: a package install takes minutes, a
 * service start up to systemd's own 90 s default, a sysfs-like tool seconds.
 */
final class Commands {
    /** ip, ethtool, tuned-adm, grubby, systemctl enable/disable/daemon-reload. */
    static final Duration QUICK = Duration.ofSeconds(30);
    /** modprobe (firmware loading can be slow) and systemctl start/stop (systemd waits up to 90 s). */
    static final Duration SLOW = Duration.ofSeconds(120);
    /** update-grub and grub-mkconfig, which probe every disk. */
    static final Duration BOOTLOADER = Duration.ofMinutes(5);
    /** apt-get and dnf, which may download. */
    static final Duration PACKAGES = Duration.ofMinutes(20);

    private Commands() {
    }

    /**
     * Runs {@code c}; returns normally only when it exited 0.
     *
     * @param what the setting and value, for the message ({@code service nginx/active = running})
     * @throws ActuatorException "WHAT: cannot run 'C': not installed", "WHAT: 'C' failed: STDERR",
     *                           or "… failed: timed out after N ms"
     */
    static void run(Host host, Command c, Duration timeout, String what) throws ActuatorException {
        CommandResult r = host.commands().run(c, timeout);
        if (r.status() == CommandResult.Status.NOT_AVAILABLE) {
            throw new ActuatorException(what + ": cannot run '" + c.display() + "': " + r.stderr());
        }
        if (!r.ok()) {
            String err = r.stderr().strip().isEmpty() ? (r.stdout().strip().isEmpty() ? r.status() + ", exit " + r.exitCode()
                    : r.stdout().strip()) : r.stderr().strip();
            throw new ActuatorException(what + ": '" + c.display() + "' failed: " + err);
        }
    }
}

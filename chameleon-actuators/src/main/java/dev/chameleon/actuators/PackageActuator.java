package dev.chameleon.actuators;

import dev.chameleon.host.Command;
import dev.chameleon.host.Host;
import dev.chameleon.model.SettingEncodings;
import dev.chameleon.model.SettingKey;
import java.util.List;
import java.util.Optional;

/**
 * Software packages: {@code package:NAME} is {@code installed} or {@code absent}; reads say which
 * version is installed ({@code installed 5.2-15}), so that undoing a removal reinstalls that very
 * version ({@code apt-get install -y NAME=5.2-15}, {@code dnf install -y NAME-5.2-15}). A target
 * {@code installed} is fulfilled by any installed version. Policies must opt
 * in explicitly (the policy parser requires {@code optIn: true}); this actuator only acts on what
 * reaches it.
 *
 * <p>Debian family (the root has {@code /var/lib/dpkg/status}): installed when that file has a
 * stanza {@code Package: NAME} with {@code Status: install ok installed}; changed with
 * {@code apt-get install -y NAME} / {@code apt-get remove -y NAME}. RPM family
 * ({@code /var/lib/rpm} exists, no dpkg): {@code rpm -q NAME} exit 0; changed with
 * {@code dnf install -y NAME} / {@code dnf remove -y NAME}. Not applicable with neither.
 */
public final class PackageActuator implements Actuator {
    @Override
    public String kind() {
        return "package";
    }

    static boolean dpkg(Host host) {
        return host.root().exists("/var/lib/dpkg/status");
    }

    @Override
    public Optional<String> unavailable(Host host) {
        if (dpkg(host) || host.root().isDirectory("/var/lib/rpm")) {
            return Optional.empty();
        }
        return Optional.of("no package database here (neither /var/lib/dpkg/status nor /var/lib/rpm)");
    }

    @Override
    public Current read(Host host, SettingKey key) {
        String name = key.target();
        if (!name.matches("[a-zA-Z0-9][a-zA-Z0-9+._-]*")) {
            return Current.notApplicable("'" + name + "' is not a package name");
        }
        if (dpkg(host)) {
            var f = host.root().read("/var/lib/dpkg/status");
            if (!f.isPresent()) {
                return Current.error("cannot read /var/lib/dpkg/status: " + f.error());
            }
            for (String stanza : f.text().split("\n\n")) {
                if (stanza.lines().anyMatch(l -> l.equals("Package: " + name))) {
                    boolean installed = stanza.lines().anyMatch(l -> l.equals("Status: install ok installed"));
                    String version = stanza.lines().filter(l -> l.startsWith("Version: ")).map(l -> l.substring(9).strip()).findFirst().orElse("");
                    return Current.value(installed ? ("installed " + version).strip() : SettingEncodings.ABSENT);
                }
            }
            return Current.value(SettingEncodings.ABSENT);
        }
        var r = host.commands().run(Command.of("rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", name));
        if (r.status() != dev.chameleon.host.CommandResult.Status.RAN) {
            return Current.error("cannot run 'rpm -q " + name + "': " + r.stderr().strip());
        }
        return Current.value(r.exitCode() == 0 ? ("installed " + r.stdout().strip()).strip() : SettingEncodings.ABSENT);
    }

    @Override
    public Current resolve(SettingKey key, String desired, String current) {
        String d = normalize(key, desired);
        return d.startsWith("installed ") ? Current.value(d) : Values.oneOf(d, List.of("installed", SettingEncodings.ABSENT));
    }

    @Override
    public boolean satisfies(SettingKey key, String target, String found) {
        return target.equals(found) || (target.equals("installed") && found.startsWith("installed "));
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        Commands.run(host, command(host, key, value), Commands.PACKAGES, "package " + key.target() + " = " + value);
    }

    static Command command(Host host, SettingKey key, String value) {
        boolean apt = host == null || dpkg(host);
        String version = value.startsWith("installed ") ? value.substring("installed ".length()).strip() : "";
        String pkg = version.isEmpty() ? key.target() : key.target() + (apt ? "=" : "-") + version;
        return Command.of(apt ? "apt-get" : "dnf", value.startsWith("installed") ? "install" : "remove", "-y", pkg);
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        return command(null, key, value).display() + "  # or dnf " + (value.startsWith("installed") ? "install" : "remove") + " -y " + key.target();
    }
}

package dev.chameleon.actuators;

import dev.chameleon.host.AptPolicy;
import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.RebootRecord;
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
        if (r.status() != CommandResult.Status.RAN) {
            return Current.error("cannot run 'rpm -q " + name + "': " + r.stderr().strip());
        }
        return Current.value(r.exitCode() == 0 ? ("installed " + r.stdout().strip()).strip() : SettingEncodings.ABSENT);
    }

    /** The words of a normalised value: {@code installed candidate allow-irreversible} → [installed, candidate, allow-irreversible]. */
    private static String[] words(String value) {
        return value.split(" ");
    }

    /** The value asks for a version and says it may be irreversible ({@code installed candidate allow-irreversible}). */
    static boolean allowsIrreversible(String value) {
        String[] w = words(value);
        return w.length == 3 && w[2].equals(ALLOW);
    }

    static final String ALLOW = "allow-irreversible";
    static final String CANDIDATE = "candidate";

    @Override
    public Current resolve(SettingKey key, String desired, String current) {
        String d = normalize(key, desired);
        String[] w = words(d);
        if (w[0].equals("installed") && w.length >= 2 && w.length <= 3 && (w.length == 2 || w[2].equals(ALLOW))) {
            if (w[1].equals(CANDIDATE)) {
                return Current.unknown("apt's candidate version of " + key.target() + " (apt-cache policy " + key.target() + ")");
            }
            return Current.value("installed " + w[1]);
        }
        return Values.oneOf(d, List.of("installed", SettingEncodings.ABSENT));
    }

    @Override
    public Optional<String> machineCheck(SettingKey key, String desired) {
        return words(normalize(key, desired)).length >= 2
                ? Optional.of("whether apt offers that version of " + key.target() + " and can still reinstall the installed one")
                : Optional.empty();
    }

    /**
     * A version asked for: apt's candidate (or the exact version, which apt must offer), read with
     * {@code apt-cache policy NAME}. When the installed version is not the one asked for and apt no
     * longer offers it, rollback could not reinstall it: an error unless the value says
     * {@code allow-irreversible}, then a change noted {@code irreversible: ...}.
     */
    @Override
    public Current target(Host host, SettingKey key, String desired, Current current) {
        String d = normalize(key, desired);
        String[] w = words(d);
        if (w.length < 2 || !w[0].equals("installed")) {
            return resolve(key, desired, current.value());
        }
        String name = key.target();
        if (!dpkg(host)) {
            return Current.notApplicable("package versions are installed through apt; this machine has no dpkg database");
        }
        Command c = AptPolicy.command(List.of(name));
        CommandResult r = host.commands().run(c, Commands.QUICK);
        if (r.status() != CommandResult.Status.RAN || r.exitCode() != 0) {
            return Current.error("cannot ask apt which versions of " + name + " it offers: '" + c.display() + "' "
                    + (r.status() == CommandResult.Status.RAN ? "failed (exit " + r.exitCode() + "): " : "") + r.stderr().strip());
        }
        AptPolicy.Pkg p = AptPolicy.parse(r.stdout()).get(name);
        if (p == null) {
            return Current.error("apt does not know a package " + name + " ('" + c.display() + "' says nothing of it: not in any "
                    + "configured archive, or 'apt-get update' has not run)");
        }
        String version = w[1];
        if (version.equals(CANDIDATE)) {
            if (p.candidate().isEmpty()) {
                return Current.error("apt has no candidate version of " + name + " (apt-cache policy: Candidate: (none))");
            }
            version = p.candidate().get();
        }
        String target = "installed " + version;
        String found = current.value();
        if (found.equals(target)) {
            return Current.value(target);
        }
        if (!p.offers(version)) {
            return Current.error("apt does not offer " + name + " " + version + " (it offers: " + offered(p) + ")");
        }
        if (found.startsWith("installed ")) {
            String before = found.substring("installed ".length());
            if (!p.offers(before)) {
                String why = name + " " + before + " -> " + version + " cannot be undone: apt no longer offers " + before
                        + " (offers: " + offered(p) + "), so rollback could not reinstall it";
                if (!allowsIrreversible(d)) {
                    return Current.error(why + "; the policy must say allowIrreversible: true to install it anyway");
                }
                return Current.value(target, "irreversible: " + why + " (allowIrreversible: true)");
            }
        }
        return Current.value(target, needsReboot(name) ? "pending-reboot after it: " + name + " takes effect at the next boot" : "");
    }

    private static String offered(AptPolicy.Pkg p) {
        List<String> v = p.versions().stream().filter(AptPolicy.Version::offered).map(AptPolicy.Version::version).toList();
        return v.isEmpty() ? "none" : String.join(", ", v);
    }

    /** Microcode and kernel images take effect only at the next boot. */
    static boolean needsReboot(String name) {
        return name.equals("intel-microcode") || name.equals("amd64-microcode") || name.startsWith("linux-image-");
    }

    @Override
    public boolean satisfies(SettingKey key, String target, String found) {
        return target.equals(found) || (target.equals("installed") && found.startsWith("installed "));
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        String what = "package " + key.target() + " = " + value;
        Commands.run(host, command(host, key, value), Commands.PACKAGES, what);
        if (!dpkg(host) || !value.startsWith("installed ")) {
            return;
        }
        String want = value.substring("installed ".length());
        Command q = Command.of("dpkg-query", "-W", "-f", "${Status}\t${Version}", key.target());
        CommandResult r = host.commands().run(q, Commands.QUICK);
        if (r.status() == CommandResult.Status.RAN) {
            String[] got = r.stdout().strip().split("\t", 2);
            if (r.exitCode() != 0 || got.length != 2 || !got[0].equals("install ok installed") || !got[1].equals(want)) {
                throw new ActuatorException(what + ": apt-get succeeded but dpkg-query says '" + (r.exitCode() != 0 ? r.stderr().strip()
                        : r.stdout().strip()) + "', expected 'install ok installed' and " + want);
            }
        }
        if (needsReboot(key.target())) {
            recordReboot(host, key, value, before);
        }
    }

    /**
     * Notes in {@link RebootRecord} that {@code key} waits for a boot, with the value the machine
     * had before the first such change ({@code was}); a write back to that value (an undo)
     * removes the note.
     */
    static void recordReboot(Host host, SettingKey key, String value, String before) throws ActuatorException {
        String entry = RebootRecord.read(host.root()).get(key.toString());
        String was = before;
        if (entry != null) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\(was ([^)]*)\\)").matcher(entry);
            if (m.find()) {
                was = m.group(1);
            }
        }
        try {
            RebootRecord.put(host.root(), key.toString(), value.equals(was) ? null
                    : value + " (was " + was + "); takes effect at the next boot");
        } catch (java.io.IOException e) {
            throw new ActuatorException("package " + key.target() + " = " + value + ": installed, but the pending reboot could not be "
                    + "recorded in " + RebootRecord.PATH + ": " + e.getMessage());
        }
    }

    static Command command(Host host, SettingKey key, String value) {
        boolean apt = host == null || dpkg(host);
        String version = value.startsWith("installed ") ? value.substring("installed ".length()).strip() : "";
        String pkg = version.isEmpty() ? key.target() : key.target() + (apt ? "=" : "-") + version;
        if (apt && !version.isEmpty()) {
            // a version may be older than the installed one (an undo): apt refuses a downgrade unless told
            return Command.of("apt-get", "install", "-y", "--allow-downgrades", "-o", "Dpkg::Options::=--force-confold", pkg);
        }
        return Command.of(apt ? "apt-get" : "dnf", value.startsWith("installed") ? "install" : "remove", "-y", pkg);
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        return command(null, key, value).display() + "  # or dnf " + (value.startsWith("installed") ? "install" : "remove") + " -y " + key.target();
    }
}

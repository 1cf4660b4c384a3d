package dev.chameleon.actuators;

import dev.chameleon.model.SettingEncodings;
import dev.chameleon.host.Command;
import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.model.SettingKey;
import java.util.Optional;

/**
 * Loadable kernel modules, their options and blacklists.
 *
 * <ul>
 * <li>{@code kernelModule:NAME} — {@code loaded} when listed in {@code /proc/modules} or built into
 * the kernel ({@code /lib/modules/RELEASE/modules.builtin}), else {@code unloaded}. Loading runs
 * {@code modprobe NAME}, unloading {@code modprobe -r NAME}. Unloading is refused while the module
 * is in use (reference count, third column of {@code /proc/modules}, above 0) or built in.</li>
 * <li>{@code kernelModule:NAME/options} — the options line in
 * {@code /etc/modprobe.d/chameleon-NAME-options.conf} ({@code options NAME a=1 b=2}); the value is
 * {@code a=1 b=2} or {@code absent}. Takes effect at the next load.</li>
 * <li>{@code kernelModule:NAME/blacklist} — {@code yes} when any {@code /etc/modprobe.d/*.conf}
 * says {@code blacklist NAME}; writing {@code yes} creates
 * {@code /etc/modprobe.d/chameleon-NAME-blacklist.conf}, {@code no} removes that file.</li>
 * </ul>
 * Not applicable when the kernel has no module support ({@code /proc/modules} absent) or the module
 * is not shipped with the running kernel (absent from {@code modules.dep}).
 */
public final class KernelModuleActuator implements Actuator {
    @Override
    public String kind() {
        return "kernelModule";
    }

    static String module(SettingKey key) {
        String t = key.target();
        int slash = t.indexOf('/');
        return (slash < 0 ? t : t.substring(0, slash)).replace('-', '_');
    }

    static String aspect(SettingKey key) {
        int slash = key.target().indexOf('/');
        return slash < 0 ? "state" : key.target().substring(slash + 1);
    }

    static String optionsFile(String name) {
        return "/etc/modprobe.d/chameleon-" + name + "-options.conf";
    }

    static String blacklistFile(String name) {
        return "/etc/modprobe.d/chameleon-" + name + "-blacklist.conf";
    }

    @Override
    public Current read(Host host, SettingKey key) {
        String name = module(key);
        if (!name.matches("[A-Za-z0-9_]{1,64}")) {
            return Current.notApplicable("'" + name + "' is not a kernel module name");
        }
        switch (aspect(key)) {
            case "options" -> {
                Current f = ManagedFile.read(host, optionsFile(name));
                if (!f.isValue() || f.value().equals(SettingEncodings.ABSENT)) {
                    return f;
                }
                for (String line : f.value().split("\n")) {
                    String l = line.strip();
                    if (l.startsWith("options " + name + " ") || l.equals("options " + name)) {
                        return Current.value(normalize(key, l.substring(("options " + name).length())));
                    }
                }
                return Current.error(optionsFile(name) + " has no 'options " + name + "' line; it was edited by hand");
            }
            case "blacklist" -> {
                for (String f : host.root().list("/etc/modprobe.d")) {
                    if (!f.endsWith(".conf")) {
                        continue;
                    }
                    HostFile h = host.root().read("/etc/modprobe.d/" + f);
                    for (String line : h.text().split("\n")) {
                        if (line.strip().replaceAll("\\s+", " ").equals("blacklist " + name)) {
                            return Current.value("yes");
                        }
                    }
                }
                return Current.value("no");
            }
            case "state" -> {
                return state(host, name);
            }
            default -> {
                return Current.notApplicable("kernelModule manages NAME, NAME/options and NAME/blacklist; not " + key.target());
            }
        }
    }

    private Current state(Host host, String name) {
        HostFile mods = host.root().read("/proc/modules");
        if (mods.status() == HostFile.Status.UNREADABLE) {
            return Current.error("cannot read /proc/modules: " + mods.error());
        }
        if (!mods.isPresent()) {
            return Current.notApplicable("this kernel has no loadable module support (/proc/modules does not exist)");
        }
        if (line(mods.text(), name).isPresent()) {
            return Current.value("loaded");
        }
        String release = host.root().readTrimmed("/proc/sys/kernel/osrelease").orElse("");
        if (!release.isEmpty()) {
            String dir = "/lib/modules/" + release;
            if (builtin(host, name)) {
                return Current.value("loaded", "built into the kernel");
            }
            HostFile dep = host.root().read(dir + "/modules.dep");
            if (dep.isPresent() && !mentions(dep.text(), name)) {
                return Current.notApplicable("module " + name + " is not shipped with kernel " + release
                        + " (not in " + dir + "/modules.dep)");
            }
        }
        return Current.value("unloaded");
    }

    private static boolean builtin(Host host, String name) {
        String release = host.root().readTrimmed("/proc/sys/kernel/osrelease").orElse("");
        HostFile b = host.root().read("/lib/modules/" + release + "/modules.builtin");
        return !release.isEmpty() && b.isPresent() && mentions(b.text(), name);
    }

    /** The {@code /proc/modules} line of a module, if loaded. */
    static Optional<String[]> line(String procModules, String name) {
        for (String line : procModules.split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f[0].equals(name)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /** True when a modules.dep / modules.builtin text lists {@code name.ko} (any compression, - or _). */
    static boolean mentions(String text, String name) {
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            String path = colon >= 0 ? line.substring(0, colon) : line.strip();
            int slash = path.lastIndexOf('/');
            String file = path.substring(slash + 1);
            int ko = file.indexOf(".ko");
            if (ko > 0 && file.substring(0, ko).replace('-', '_').equals(name)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Current resolve(SettingKey key, String desired, String current) {
        String d = normalize(key, desired);
        String name = module(key);
        switch (aspect(key)) {
            case "state" -> {
                if (!d.equals("loaded") && !d.equals("unloaded")) {
                    return Current.notApplicable("kernelModule " + name + ": state must be loaded or unloaded, not '" + d + "'");
                }
                return Current.value(d);
            }
            case "blacklist" -> {
                return Values.oneOf(d, java.util.List.of("yes", "no"));
            }
            default -> {
                return Current.value(d.isEmpty() ? SettingEncodings.ABSENT : d);
            }
        }
    }

    @Override
    public Optional<String> machineCheck(SettingKey key, String desired) {
        return aspect(key).equals("state") && normalize(key, desired).equals("unloaded")
                ? Optional.of("whether " + module(key) + " is in use or built into the kernel (unloading is refused then)") : Optional.empty();
    }

    @Override
    public Current target(Host host, SettingKey key, String desired, Current current) {
        Current r = resolve(key, desired, current.value());
        if (r.isValue() && aspect(key).equals("state") && r.value().equals("unloaded") && current.value().equals("loaded")) {
            Optional<String> busy = inUse(host, module(key));
            if (busy.isPresent()) {
                return Current.error("kernelModule " + module(key) + " = unloaded: refused, " + busy.get());
            }
        }
        return r;
    }

    /** Why a loaded module cannot be unloaded (in use, built in), or empty. */
    static Optional<String> inUse(Host host, String name) {
        if (builtin(host, name)) {
            return Optional.of("the module is built into the kernel");
        }
        Optional<String[]> l = line(host.root().read("/proc/modules").text(), name);
        if (l.isPresent() && l.get().length > 2) {
            String refs = l.get()[2];
            if (!refs.equals("0")) {
                String users = l.get().length > 3 && !l.get()[3].equals("-") ? ", used by " + l.get()[3].replaceAll(",$", "") : "";
                return Optional.of("the module is in use (reference count " + refs + users + ", /proc/modules)");
            }
        }
        return Optional.empty();
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        String name = module(key);
        String what = "kernelModule " + key.target() + " = " + value;
        switch (aspect(key)) {
            case "options" -> ManagedFile.write(host, optionsFile(name), value.equals(SettingEncodings.ABSENT) ? SettingEncodings.ABSENT
                    : "options " + name + " " + value + "\n", what);
            case "blacklist" -> ManagedFile.write(host, blacklistFile(name), value.equals("yes")
                    ? "blacklist " + name + "\n" : SettingEncodings.ABSENT, what);
            default -> {
                if (value.equals("unloaded")) {
                    Optional<String> busy = inUse(host, name);
                    if (busy.isPresent()) {
                        throw new ActuatorException(what + ": refused, " + busy.get());
                    }
                }
                Command c = value.equals("loaded") ? Command.of("modprobe", name) : Command.of("modprobe", "-r", name);
                Commands.run(host, c, Commands.SLOW, what);
            }
        }
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        String name = module(key);
        return switch (aspect(key)) {
            case "options" -> value.equals(SettingEncodings.ABSENT) ? "rm -f " + optionsFile(name)
                    : "echo 'options " + name + " " + value + "' > " + optionsFile(name);
            case "blacklist" -> value.equals("yes") ? "echo 'blacklist " + name + "' > " + blacklistFile(name) : "rm -f " + blacklistFile(name);
            default -> value.equals("loaded") ? "modprobe " + name : "modprobe -r " + name;
        };
    }
}

package dev.chameleon.actuators;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.model.SettingKey;

/**
 * Loadable kernel modules. The current value is {@code loaded} when the module is listed in
 * {@code /proc/modules} or built into the kernel ({@code /lib/modules/RELEASE/modules.builtin}),
 * else {@code unloaded}. Loading runs {@code modprobe NAME}; undoing a load runs
 * {@code modprobe -r NAME}. Not applicable when the kernel has no module support
 * ({@code /proc/modules} absent) or the module is not shipped with the running kernel
 * (absent from {@code modules.dep}).
 */
public final class KernelModuleActuator implements Actuator {
    @Override
    public String kind() {
        return "kernelModule";
    }

    @Override
    public Current read(Host host, SettingKey key) {
        String name = key.target().replace('-', '_');
        HostFile mods = host.root().read("/proc/modules");
        if (mods.status() == HostFile.Status.UNREADABLE) {
            return Current.error("cannot read /proc/modules: " + mods.error());
        }
        if (!mods.isPresent()) {
            return Current.notApplicable("this kernel has no loadable module support (/proc/modules does not exist)");
        }
        for (String line : mods.text().split("\n")) {
            String first = line.strip().split("\\s+")[0];
            if (first.equals(name)) {
                return Current.value("loaded");
            }
        }
        String release = host.root().readTrimmed("/proc/sys/kernel/osrelease").orElse("");
        if (!release.isEmpty()) {
            String dir = "/lib/modules/" + release;
            HostFile builtin = host.root().read(dir + "/modules.builtin");
            if (builtin.isPresent() && mentions(builtin.text(), name)) {
                return Current.value("loaded");
            }
            HostFile dep = host.root().read(dir + "/modules.dep");
            if (dep.isPresent() && !mentions(dep.text(), name)) {
                return Current.notApplicable("module " + name + " is not shipped with kernel " + release
                        + " (not in " + dir + "/modules.dep)");
            }
        }
        return Current.value("unloaded");
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
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        String name = key.target();
        Command c = value.equals("loaded") ? Command.of("modprobe", name) : Command.of("modprobe", "-r", name);
        CommandResult r = host.commands().run(c);
        if (r.status() == CommandResult.Status.NOT_AVAILABLE) {
            throw new ActuatorException("kernelModule " + name + " = " + value + ": cannot run '" + c.display() + "': " + r.stderr());
        }
        if (!r.ok()) {
            String err = r.stderr().strip().isEmpty() ? r.status() + ", exit " + r.exitCode() : r.stderr().strip();
            throw new ActuatorException("kernelModule " + name + " = " + value + ": '" + c.display() + "' failed: " + err);
        }
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        return value.equals("loaded") ? "modprobe " + key.target() : "modprobe -r " + key.target();
    }
}

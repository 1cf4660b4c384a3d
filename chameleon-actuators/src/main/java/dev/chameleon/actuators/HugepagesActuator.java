package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.model.SettingKey;
import java.io.IOException;

/**
 * Persistent huge pages per page size: {@code hugepages:2048kB} is the page count in
 * {@code /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages} (pages, not bytes). Accepts
 * {@code >=N} / {@code <=N}. The kernel may allocate fewer pages than asked when memory is
 * fragmented; the verify step then fails and the change is undone. Not applicable when the kernel
 * has no huge pages of that size.
 */
public final class HugepagesActuator implements Actuator {
    @Override
    public String kind() {
        return "hugepages";
    }

    static String path(SettingKey key) {
        return "/sys/kernel/mm/hugepages/hugepages-" + key.target() + "/nr_hugepages";
    }

    @Override
    public Current read(Host host, SettingKey key) {
        if (!key.target().matches("\\d+kB")) {
            return Current.notApplicable("'" + key.target() + "' is not a huge page size (expected e.g. 2048kB)");
        }
        HostFile f = host.root().read(path(key));
        return switch (f.status()) {
            case PRESENT -> Current.value(normalize(key, f.text()));
            case ABSENT -> Current.notApplicable("no " + key.target() + " huge pages on this kernel ("
                    + "/sys/kernel/mm/hugepages/hugepages-" + key.target() + " does not exist; sizes here: "
                    + String.join(", ", host.root().list("/sys/kernel/mm/hugepages")) + ")");
            case UNREADABLE -> Current.error("cannot read " + path(key) + ": " + f.error());
        };
    }

    @Override
    public Current target(Host host, SettingKey key, String desired, Current current) {
        return Values.number("hugepages " + key.target(), normalize(key, desired), current.value());
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        try {
            host.root().writeKernelFile(path(key), value);
        } catch (IOException e) {
            throw new ActuatorException("hugepages " + key.target() + " = " + value + ": the kernel refused the write to "
                    + path(key) + " (" + SysctlActuator.kernelAnswer(e) + ")", e);
        }
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        return "echo " + value + " > " + path(key);
    }
}

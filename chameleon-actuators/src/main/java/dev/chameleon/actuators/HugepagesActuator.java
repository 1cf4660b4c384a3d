package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.model.SettingKey;
import java.util.Optional;

/**
 * Persistent huge pages per page size: {@code hugepages:2048kB} is the page count in
 * {@code /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages} (pages, not bytes). Accepts
 * {@code >=N} / {@code <=N}. The kernel may allocate fewer pages than asked when memory is
 * fragmented; the verify step then fails and the change is undone. Not applicable when the kernel
 * has no huge pages of that size.
 */
public final class HugepagesActuator extends KernelFileActuator {
    @Override
    public String kind() {
        return "hugepages";
    }

    @Override
    String path(SettingKey key) {
        return "/sys/kernel/mm/hugepages/hugepages-" + key.target() + "/nr_hugepages";
    }

    @Override
    Optional<String> invalid(SettingKey key) {
        return key.target().matches("\\d+kB") ? Optional.empty()
                : Optional.of("'" + key.target() + "' is not a huge page size (expected e.g. 2048kB)");
    }

    @Override
    String absent(Host host, SettingKey key, String path) {
        return "no " + key.target() + " huge pages on this kernel (/sys/kernel/mm/hugepages/hugepages-" + key.target()
                + " does not exist; sizes here: " + String.join(", ", host.root().list("/sys/kernel/mm/hugepages")) + ")";
    }

    @Override
    public Current resolve(SettingKey key, String desired, String current) {
        return Values.number("hugepages " + key.target(), normalize(key, desired), current);
    }
}

package dev.chameleon.actuators;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The registry of actuators by setting kind. */
public final class Actuators {
    private final Map<String, Actuator> byKind = new LinkedHashMap<>();

    public Actuators(List<Actuator> actuators) {
        for (Actuator a : actuators) {
            byKind.put(a.kind(), a);
        }
    }

    /** Every Linux actuator: sysctl, sysfs, blockQueue, hugepages, kernelModule, service, file, kernelCmdline, tunedProfile, nic, nicSysctl, package, initramfs. */
    public static Actuators standard() {
        return new Actuators(List.of(new SysctlActuator(), new SysfsActuator(), new BlockQueueActuator(), new HugepagesActuator(),
                new KernelModuleActuator(), new ServiceActuator(), new FileActuator(), new KernelCmdlineActuator(),
                new TunedProfileActuator(), new NicActuator(), new NicSysctlActuator(), new PackageActuator(),
                new InitramfsActuator()));
    }

    public Optional<Actuator> forKind(String kind) {
        return Optional.ofNullable(byKind.get(kind));
    }

    /** The registered kinds, in registration order. */
    public Set<String> kinds() {
        return byKind.keySet();
    }
}

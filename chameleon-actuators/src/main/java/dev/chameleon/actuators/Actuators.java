package dev.chameleon.actuators;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The registry of actuators by setting kind. */
public final class Actuators {
    private final Map<String, Actuator> byKind = new LinkedHashMap<>();

    public Actuators(List<Actuator> actuators) {
        for (Actuator a : actuators) {
            byKind.put(a.kind(), a);
        }
    }

    public static Actuators standard() {
        return new Actuators(List.of(new SysctlActuator(), new KernelModuleActuator(), new BlockQueueActuator()));
    }

    public Optional<Actuator> forKind(String kind) {
        return Optional.ofNullable(byKind.get(kind));
    }
}

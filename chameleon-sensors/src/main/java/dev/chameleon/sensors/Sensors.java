package dev.chameleon.sensors;

import dev.chameleon.sensors.platform.PlatformSensor;
import java.util.List;

/** The registry of sensors, by name, in report order. */
public final class Sensors {
    private Sensors() {
    }

    /** Parses a decimal long, empty when it is not one. */
    public static java.util.Optional<Long> parseLong(String s) {
        try {
            return java.util.Optional.of(Long.parseLong(s.strip()));
        } catch (NumberFormatException e) {
            return java.util.Optional.empty();
        }
    }

    /**
     * Loads the data tables the sensors need (platform signatures, the application table) so a
     * one-shot command can do it on a spare core while it parses its command line. Idempotent.
     */
    public static void warmUp() {
        dev.chameleon.sensors.platform.Signatures.standard();
        AppsSensor.standardRules();
    }

    /** Every sensor's name, in report order: the top-level fact keys they fill. */
    public static final List<String> NAMES = List.of("platform", "cpu", "memory", "gpus", "nics", "disks", "os", "kernel", "security", "apps", "migration", "host", "updates");

    /** Every sensor, in report order; the cloud metadata service is not asked. */
    public static List<Sensor> all() {
        return all(dev.chameleon.sensors.platform.MetadataProbe.Options.disabled());
    }

    /** Every sensor, in report order, the platform sensor asking the metadata service as {@code metadata} says. */
    public static List<Sensor> all(dev.chameleon.sensors.platform.MetadataProbe.Options metadata) {
        return List.of(new PlatformSensor(null, metadata), new CpuSensor(), new MemorySensor(), new GpusSensor(), new NicsSensor(),
                new DisksSensor(), new OsSensor(), new KernelSensor(), new SecuritySensor(), new AppsSensor(),
                new MigrationSensor(),
                new HostSensor(), new UpdatesSensor());
    }
}

package dev.chameleon.sensors;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Walks a sysfs device path upwards ({@code /sys/devices/pci0000:00/0000:00:03.0/virtio1/host0/
 * target0:0:0/0:0:0:0/block/sda}) to find the drivers bound on the way and the nearest PCI
 * function, reading only through the {@link SensorContext}'s root.
 */
final class DeviceTree {
    static final Pattern PCI_ADDRESS = Pattern.compile("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]");

    private DeviceTree() {
    }

    /** The real sysfs path of a class entry ({@code /sys/block/vda}), empty when it does not resolve. */
    static Optional<String> real(SensorContext ctx, String path) {
        return ctx.root().realPath(path).filter(p -> p.startsWith("/sys/"));
    }

    /** The device path and its ancestors up to {@code /sys/devices}, nearest first. */
    static List<String> ancestors(String devicePath) {
        List<String> out = new ArrayList<>();
        String p = devicePath;
        while (p.startsWith("/sys/devices/") && p.length() > "/sys/devices/".length()) {
            out.add(p);
            p = p.substring(0, p.lastIndexOf('/'));
        }
        return out;
    }

    /** Drivers bound to the device and its ancestors, nearest first ({@code sd, virtio_scsi, virtio-pci}). */
    static List<String> drivers(SensorContext ctx, String devicePath) {
        List<String> out = new ArrayList<>();
        for (String a : ancestors(devicePath)) {
            ctx.root().linkName(a + "/driver").ifPresent(out::add);
        }
        return out;
    }

    /** The nearest PCI function address on the way up ({@code 0000:00:03.0}). */
    static Optional<String> pciAddress(String devicePath) {
        for (String a : ancestors(devicePath)) {
            String last = a.substring(a.lastIndexOf('/') + 1);
            if (PCI_ADDRESS.matcher(last).matches()) {
                return Optional.of(last);
            }
        }
        return Optional.empty();
    }

    /** PCI ids of a function under {@code /sys/bus/pci/devices/ADDR}: vendorId, deviceId, subsystem ids, class. */
    static void pciIds(SensorContext ctx, String address, Map<String, Object> into) {
        String base = "/sys/bus/pci/devices/" + address + "/";
        hex(ctx, base + "vendor").ifPresent(v -> into.put("vendorId", v));
        hex(ctx, base + "device").ifPresent(v -> into.put("deviceId", v));
        hex(ctx, base + "subsystem_vendor").ifPresent(v -> into.put("subsystemVendorId", v));
        hex(ctx, base + "subsystem_device").ifPresent(v -> into.put("subsystemDeviceId", v));
    }

    /** A sysfs hex id ({@code 0x1af4}); a present value that is not one is a problem. */
    static Optional<String> hex(SensorContext ctx, String path) {
        Optional<String> v = ctx.value(path);
        if (v.isPresent() && !v.get().matches("0x[0-9a-fA-F]{1,8}")) {
            ctx.problem(path, "not a hex id: " + SensorContext.abbreviate(v.get()));
            return Optional.empty();
        }
        return v.map(s -> s.toLowerCase(java.util.Locale.ROOT));
    }
}

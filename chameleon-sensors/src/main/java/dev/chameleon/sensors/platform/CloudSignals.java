package dev.chameleon.sensors.platform;

import java.util.Locale;
import java.util.Optional;

/**
 * Cloud clues that are rules rather than strings: the EC2 UUID conventions (cloud-init's
 * ds-identify): a Xen {@code /sys/hypervisor/uuid} starting {@code ec2}; product UUID and serial
 * both starting {@code ec2} and equal; a UUID whose first group ends in {@code 2aec} (EC2 in
 * swapped byte order). A bare UUID prefix counts only when the system vendor does not name
 * other hardware (a UUID can start with EC2 by chance).
 */
public final class CloudSignals {
    static final String HYPERVISOR_UUID = "/sys/hypervisor/uuid";

    private CloudSignals() {
    }

    public static void read(Probe p, DmiSignals.DmiData d) {
        Clues c = p.clues();
        Optional<String> hv = p.text(HYPERVISOR_UUID, "xen.uuid").map(String::strip);
        if (hv.isPresent() && hv.get().toLowerCase(Locale.ROOT).startsWith("ec2")) {
            c.add("xen.uuid", hv.get(), HYPERVISOR_UUID, "cloud=aws", 0.85);
        }
        String uuid = d.get("product_uuid").toLowerCase(Locale.ROOT);
        String serial = d.get("product_serial").toLowerCase(Locale.ROOT);
        String src = d.sources().getOrDefault("product_uuid", DmiSignals.SYSFS + "product_uuid");
        if (uuid.startsWith("ec2") && serial.startsWith("ec2") && uuid.equals(serial)) {
            c.add("dmi.product_uuid", d.get("product_uuid"), src, "cloud=aws", 0.85);
        } else if (uuid.matches("[0-9a-f]{4}2aec-.*")) {
            c.add("dmi.product_uuid", d.get("product_uuid") + " (ec2, swapped byte order)", src, "cloud=aws", 0.7);
        } else if (uuid.startsWith("ec2")) {
            String vendor = d.get("sys_vendor").toLowerCase(Locale.ROOT);
            if (!d.has("sys_vendor") || vendor.equals("xen") || vendor.startsWith("amazon")) {
                c.add("dmi.product_uuid", d.get("product_uuid"), src, "cloud=aws", 0.5);
            } else {
                c.note("dmi.product_uuid", d.get("product_uuid") + " starts with ec2 but the vendor is "
                        + d.get("sys_vendor") + ": not taken as AWS", src);
            }
        }
    }
}

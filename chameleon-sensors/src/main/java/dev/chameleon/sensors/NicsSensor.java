package dev.chameleon.sensors;

import dev.chameleon.host.SysRoot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code nics}: one map per network interface under {@code /sys/class/net}, loopback excluded.
 *
 * <p>Keys: {@code name}; {@code driver} (from the {@code device/driver} link, absent for
 * virtual interfaces); {@code vendorId}, {@code deviceId} (PCI ids as {@code 0x15ad}, from
 * {@code device/vendor} and {@code device/device}, absent for non-PCI devices); {@code mtu}
 * (long, bytes, from {@code mtu}); {@code mac} (from {@code address}); {@code virtual} (boolean:
 * no backing device).
 */
public final class NicsSensor implements Sensor {
    @Override
    public String name() {
        return "nics";
    }

    @Override
    public Object sense(SensorContext ctx) {
        SysRoot root = ctx.host().root();
        List<Object> out = new ArrayList<>();
        for (String name : root.list("/sys/class/net")) {
            if (name.equals("lo")) {
                continue;
            }
            String base = "/sys/class/net/" + name;
            Map<String, Object> nic = new LinkedHashMap<>();
            nic.put("name", name);
            root.linkName(base + "/device/driver").ifPresent(d -> nic.put("driver", d));
            root.readTrimmed(base + "/device/vendor").filter(s -> s.startsWith("0x")).ifPresent(v -> nic.put("vendorId", v));
            root.readTrimmed(base + "/device/device").filter(s -> s.startsWith("0x")).ifPresent(v -> nic.put("deviceId", v));
            root.readTrimmed(base + "/mtu").flatMap(Sensors::parseLong).ifPresent(v -> nic.put("mtu", v));
            root.readTrimmed(base + "/address").filter(s -> !s.isEmpty()).ifPresent(v -> nic.put("mac", v));
            nic.put("virtual", !root.exists(base + "/device"));
            ctx.provenance("nics." + name, base);
            out.add(nic);
        }
        return out;
    }
}

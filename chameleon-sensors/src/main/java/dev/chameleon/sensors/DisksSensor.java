package dev.chameleon.sensors;

import dev.chameleon.host.SysRoot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code disks}: one map per block device under {@code /sys/block}, except loop, ram and zram
 * devices.
 *
 * <p>Keys: {@code name}; {@code rotational} (boolean, from {@code queue/rotational}; absent when
 * unreadable); {@code scheduler} (the active I/O scheduler, the bracketed word of
 * {@code queue/scheduler}); {@code schedulers} (list of the available ones); {@code driver}
 * (from the {@code device/driver} link, e.g. {@code virtio_blk}, {@code sd}); {@code virtio} (boolean: the name starts with {@code vd} or the driver is a
 * virtio one).
 */
public final class DisksSensor implements Sensor {
    @Override
    public String name() {
        return "disks";
    }

    @Override
    public Object sense(SensorContext ctx) {
        SysRoot root = ctx.host().root();
        List<Object> out = new ArrayList<>();
        for (String name : root.list("/sys/block")) {
            if (name.startsWith("loop") || name.startsWith("ram") || name.startsWith("zram")) {
                continue;
            }
            String base = "/sys/block/" + name;
            Map<String, Object> disk = new LinkedHashMap<>();
            disk.put("name", name);
            root.readTrimmed(base + "/queue/rotational").ifPresent(v -> {
                if (v.equals("0") || v.equals("1")) {
                    disk.put("rotational", v.equals("1"));
                }
            });
            root.readTrimmed(base + "/queue/scheduler").ifPresent(v -> {
                parseScheduler(v).ifPresent(s -> disk.put("scheduler", s));
                disk.put("schedulers", parseSchedulers(v));
            });
            Optional<String> driver = root.linkName(base + "/device/driver");
            driver.ifPresent(d -> disk.put("driver", d));
            disk.put("virtio", name.startsWith("vd") || driver.map(d -> d.startsWith("virtio")).orElse(false));
            ctx.provenance("disks." + name, base + "/queue");
            out.add(disk);
        }
        return out;
    }

    /** The active scheduler in {@code queue/scheduler} text ({@code mq-deadline [none]} → {@code none}). */
    public static Optional<String> parseScheduler(String text) {
        int a = text.indexOf('[');
        int b = text.indexOf(']', a + 1);
        if (a >= 0 && b > a + 1) {
            return Optional.of(text.substring(a + 1, b));
        }
        String t = text.strip();
        return t.isEmpty() || t.contains(" ") ? Optional.empty() : Optional.of(t);
    }

    public static List<String> parseSchedulers(String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.strip().split("\\s+")) {
            w = w.replace("[", "").replace("]", "");
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }
}

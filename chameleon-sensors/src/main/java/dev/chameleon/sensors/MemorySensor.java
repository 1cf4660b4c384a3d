package dev.chameleon.sensors;

import dev.chameleon.host.HostFile;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code memory}: {@code totalBytes} and {@code availableBytes} (long, bytes) from
 * {@code /proc/meminfo} MemTotal and MemAvailable; a key is absent when the line is.
 */
public final class MemorySensor implements Sensor {
    @Override
    public String name() {
        return "memory";
    }

    @Override
    public Object sense(SensorContext ctx) {
        HostFile f = ctx.host().root().read("/proc/meminfo");
        if (!f.isPresent()) {
            return Map.of();
        }
        Map<String, Object> out = parse(f.text());
        out.keySet().forEach(k -> ctx.provenance("memory." + k, "/proc/meminfo"));
        return out;
    }

    public static Map<String, Object> parse(String meminfo) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String line : meminfo.split("\n")) {
            String[] parts = line.strip().split("\\s+");
            if (parts.length < 2) {
                continue;
            }
            String key = parts[0].replace(":", "");
            long mult = parts.length > 2 && parts[2].equalsIgnoreCase("kB") ? 1024 : 1;
            Long v;
            try {
                v = Long.parseLong(parts[1]) * mult;
            } catch (NumberFormatException e) {
                continue;
            }
            if (key.equals("MemTotal")) {
                out.put("totalBytes", v);
            } else if (key.equals("MemAvailable")) {
                out.put("availableBytes", v);
            }
        }
        return out;
    }
}

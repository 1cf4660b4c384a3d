package dev.chameleon.sensors;

import dev.chameleon.host.HostFile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code cpu}: vendor, model name, flags and counts.
 *
 * <p>Source: {@code /proc/cpuinfo} (vendor_id, model name, flags or Features, physical id,
 * core id); counts fall back to the number of processor entries. Keys: {@code vendor} (string,
 * e.g. {@code AuthenticAMD}), {@code model} (string), {@code flags} (list of strings),
 * {@code logicalCount} (long, processors), {@code sockets} (long), {@code cores} (long, physical
 * cores in all sockets), {@code threadsPerCore} (long). A key is absent when cpuinfo lacks it.
 */
public final class CpuSensor implements Sensor {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Object sense(SensorContext ctx) {
        HostFile f = ctx.host().root().read("/proc/cpuinfo");
        if (!f.isPresent()) {
            return Map.of();
        }
        Map<String, Object> out = parse(f.text());
        for (String k : out.keySet()) {
            ctx.provenance("cpu." + k, "/proc/cpuinfo");
        }
        return out;
    }

    /** Parses {@code /proc/cpuinfo} text (x86, arm64, ppc64, s390x layouts). */
    public static Map<String, Object> parse(String cpuinfo) {
        Map<String, Object> out = new LinkedHashMap<>();
        int processors = 0;
        Set<String> sockets = new LinkedHashSet<>();
        Set<String> cores = new LinkedHashSet<>();
        String physical = "0";
        List<String> flags = null;
        for (String raw : cpuinfo.split("\n")) {
            int colon = raw.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = raw.substring(0, colon).strip();
            String value = raw.substring(colon + 1).strip();
            switch (key) {
                case "processor" -> processors++;
                case "vendor_id", "vendor", "CPU implementer" -> out.putIfAbsent("vendor", value);
                case "model name", "cpu", "cpu model" -> {
                    if (!value.isEmpty()) {
                        out.putIfAbsent("model", value);
                    }
                }
                case "flags", "Features", "features" -> {
                    if (flags == null) {
                        flags = new ArrayList<>(Arrays.asList(value.split("\\s+")));
                        flags.removeIf(String::isEmpty);
                    }
                }
                case "physical id" -> {
                    physical = value;
                    sockets.add(value);
                }
                case "core id" -> cores.add(physical + "/" + value);
                default -> {
                }
            }
        }
        if (flags != null) {
            out.put("flags", List.copyOf(flags));
        }
        if (processors > 0) {
            out.put("logicalCount", (long) processors);
            long s = Math.max(1, sockets.size());
            out.put("sockets", s);
            long c = cores.isEmpty() ? processors : cores.size();
            out.put("cores", c);
            out.put("threadsPerCore", Math.max(1, processors / c));
        }
        return out;
    }
}

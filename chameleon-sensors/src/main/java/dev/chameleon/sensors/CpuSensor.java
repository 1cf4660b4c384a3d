package dev.chameleon.sensors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code cpu}: identity, flags, counts, NUMA layout and frequencies.
 *
 * <p>From {@code /proc/cpuinfo} (x86, arm64, ppc64, s390x layouts): {@code vendor} (string,
 * {@code AuthenticAMD}), {@code model} (string, the model name), {@code family}, {@code modelId},
 * {@code stepping} (long, x86 {@code cpu family}/{@code model}/{@code stepping}),
 * {@code microcode} (string, {@code 0xa0011d1}), {@code flags} (list of strings),
 * {@code logicalCount}, {@code sockets}, {@code cores} (physical cores in all sockets),
 * {@code threadsPerCore} (long). From {@code /sys/devices/system/node}: {@code numaNodes} (long)
 * and {@code numa} (list of {@code {id, cpus, memTotalBytes}}). From
 * {@code /sys/devices/system/cpu/cpu0/cpufreq}: {@code frequency} ({@code minMHz},
 * {@code maxMHz}, {@code currentMHz} as long MHz, {@code governor}, {@code driver}); when no
 * cpufreq is exposed (most VMs), {@code frequency.reportedMHz} (double) from cpuinfo's
 * {@code cpu MHz}. From {@code /sys/devices/system/cpu/online}: {@code online} (string range,
 * {@code 0-3}). Each key is absent when its source lacks it.
 *
 * <p>Constants (kept in the {@link FactCache}): everything from {@code /proc/cpuinfo}, including
 * the counts, microcode and {@code reportedMHz} (in a VM without cpufreq, the rate the hypervisor
 * reports, which does not move); a long-running agent drops the cache on every kernel uevent (CPU
 * hotplug, a late microcode load) and on SIGHUP. NUMA, {@code online} and the cpufreq values are
 * re-read on every collection.
 */
public final class CpuSensor implements Sensor {
    private static final String CPUFREQ = "/sys/devices/system/cpu/cpu0/cpufreq/";
    /** Reported first, in this order. */
    private static final List<String> IDENTITY = List.of("vendor", "model", "family", "modelId", "stepping", "flags");

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Object sense(SensorContext ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        // /proc/cpuinfo is read once: on x86 each read asks every CPU for its clock (an IPI per
        // CPU), and nothing in it changes without a CPU hotplug or a microcode load, after which
        // the agent drops its cache (kernel uevent, SIGHUP).
        Map<String, Object> parsed = Optional.ofNullable(ctx.constant("cpuinfo",
                () -> ctx.text("/proc/cpuinfo").map(CpuSensor::parse).orElse(null))).orElse(Map.of());
        for (String k : IDENTITY) {
            if (parsed.get(k) != null) {
                out.put(k, parsed.get(k));
            }
        }
        parsed.forEach((k, v) -> {
            if (!IDENTITY.contains(k) && !k.equals("reportedMHz")) {
                out.put(k, v);
            }
        });
        out.keySet().forEach(k -> ctx.provenance("cpu." + k, "/proc/cpuinfo"));
        ctx.value("/sys/devices/system/cpu/online").filter(s -> !s.isEmpty()).ifPresent(v -> {
            out.put("online", v);
            ctx.provenance("cpu.online", "/sys/devices/system/cpu/online");
        });
        List<Object> numa = new ArrayList<>();
        for (String n : ctx.root().list("/sys/devices/system/node")) {
            if (!n.matches("node[0-9]+")) {
                continue;
            }
            Map<String, Object> node = new LinkedHashMap<>();
            node.put("id", Long.parseLong(n.substring(4)));
            String base = "/sys/devices/system/node/" + n;
            ctx.value(base + "/cpulist").filter(s -> !s.isEmpty()).ifPresent(v -> node.put("cpus", v));
            ctx.text(base + "/meminfo").flatMap(CpuSensor::nodeMemTotal).ifPresent(v -> node.put("memTotalBytes", v));
            numa.add(node);
        }
        if (!numa.isEmpty()) {
            out.put("numaNodes", (long) numa.size());
            out.put("numa", numa);
            ctx.provenance("cpu.numa", "/sys/devices/system/node");
        }
        Map<String, Object> freq = new LinkedHashMap<>();
        ctx.longValue(CPUFREQ + "cpuinfo_min_freq").ifPresent(v -> freq.put("minMHz", v / 1000));
        ctx.longValue(CPUFREQ + "cpuinfo_max_freq").ifPresent(v -> freq.put("maxMHz", v / 1000));
        ctx.longValue(CPUFREQ + "scaling_cur_freq").ifPresent(v -> freq.put("currentMHz", v / 1000));
        ctx.value(CPUFREQ + "scaling_governor").filter(s -> !s.isEmpty()).ifPresent(v -> freq.put("governor", v));
        ctx.value(CPUFREQ + "scaling_driver").filter(s -> !s.isEmpty()).ifPresent(v -> freq.put("driver", v));
        if (!freq.isEmpty()) {
            ctx.provenance("cpu.frequency", CPUFREQ);
        } else if (parsed.get("reportedMHz") != null) {
            freq.put("reportedMHz", parsed.get("reportedMHz"));
            ctx.provenance("cpu.frequency", "/proc/cpuinfo cpu MHz");
        }
        if (!freq.isEmpty()) {
            out.put("frequency", freq);
        }
        return out;
    }

    private static final Pattern NODE_MEM = Pattern.compile("MemTotal:\\s+(\\d+)\\s*kB");

    /** Bytes from a NUMA node's {@code meminfo} ({@code Node 0 MemTotal: 8024 kB}). */
    static Optional<Long> nodeMemTotal(String meminfo) {
        Matcher m = NODE_MEM.matcher(meminfo);
        return m.find() ? Sensors.parseLong(m.group(1)).map(v -> v * 1024) : Optional.empty();
    }

    /**
     * Parses {@code /proc/cpuinfo} text. Keys as in the class doc, plus {@code reportedMHz}
     * (double, the first {@code cpu MHz}), which {@link #sense} moves under {@code frequency}.
     */
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
                case "cpu family" -> Sensors.parseLong(value).ifPresent(v -> out.putIfAbsent("family", v));
                case "model" -> Sensors.parseLong(value).ifPresent(v -> out.putIfAbsent("modelId", v));
                case "stepping" -> Sensors.parseLong(value).ifPresent(v -> out.putIfAbsent("stepping", v));
                case "microcode" -> {
                    if (!value.isEmpty()) {
                        out.putIfAbsent("microcode", value);
                    }
                }
                case "cpu MHz" -> {
                    try {
                        out.putIfAbsent("reportedMHz", Double.parseDouble(value));
                    } catch (NumberFormatException e) {
                        // left out: not a number
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

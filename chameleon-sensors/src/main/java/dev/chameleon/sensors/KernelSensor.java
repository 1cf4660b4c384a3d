package dev.chameleon.sensors;

import dev.chameleon.host.HostFile;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code kernel}: {@code release} (from {@code /proc/sys/kernel/osrelease}), {@code version}
 * (the build string, from {@code /proc/sys/kernel/version}), {@code cmdline}
 * (from {@code /proc/cmdline}), {@code modules} (list of loaded module names from
 * {@code /proc/modules}) and {@code modulesSupported} (boolean: false when the kernel was built
 * without loadable modules, i.e. {@code /proc/modules} is absent while {@code /proc} is there).
 * Release, version and command line are constants (kept in the {@link FactCache}); modules are
 * re-read.
 */
public final class KernelSensor implements Sensor {
    @Override
    public String name() {
        return "kernel";
    }

    @Override
    public Object sense(SensorContext ctx) {
        var root = ctx.host().root();
        Map<String, Object> out = new LinkedHashMap<>();
        java.util.Optional.ofNullable(ctx.constant("release", () -> ctx.value("/proc/sys/kernel/osrelease").orElse(null)))
                .filter(s -> !s.isEmpty()).ifPresent(v -> {
                    out.put("release", v);
                    ctx.provenance("kernel.release", "/proc/sys/kernel/osrelease");
                });
        java.util.Optional.ofNullable(ctx.constant("version", () -> ctx.value("/proc/sys/kernel/version").orElse(null)))
                .filter(s -> !s.isEmpty()).ifPresent(v -> {
                    out.put("version", v);
                    ctx.provenance("kernel.version", "/proc/sys/kernel/version");
                });
        java.util.Optional.ofNullable(ctx.constant("cmdline", () -> ctx.value("/proc/cmdline").orElse(null))).ifPresent(v -> {
            out.put("cmdline", v);
            ctx.provenance("kernel.cmdline", "/proc/cmdline");
        });
        HostFile mods = root.read("/proc/modules");
        if (mods.isPresent()) {
            out.put("modules", parseModules(mods.text()));
            out.put("modulesSupported", true);
            ctx.provenance("kernel.modules", "/proc/modules");
        } else if (mods.status() == HostFile.Status.ABSENT && root.exists("/proc/self")) {
            out.put("modules", List.of());
            out.put("modulesSupported", false);
            ctx.provenance("kernel.modulesSupported", "/proc/modules absent");
        }
        return out;
    }

    /** Module names, first column of {@code /proc/modules}. */
    public static List<String> parseModules(String text) {
        List<String> names = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] p = line.strip().split("\\s+");
            if (!p[0].isEmpty()) {
                names.add(p[0]);
            }
        }
        return names;
    }
}

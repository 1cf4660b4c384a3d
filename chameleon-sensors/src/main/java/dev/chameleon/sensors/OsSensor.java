package dev.chameleon.sensors;

import dev.chameleon.host.HostFile;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code os}: the distribution, the init system and the tools Chameleon's actuators use.
 *
 * <ul>
 *   <li>From {@code /etc/os-release} (falling back to {@code /usr/lib/os-release}): {@code id},
 *       {@code idLike}, {@code name}, {@code version}, {@code versionId}, {@code prettyName},
 *       {@code versionCodename} (strings; absent keys are left out). Kept as constants.</li>
 *   <li>{@code init}: {@code {system, pid1}}; {@code pid1} is {@code /proc/1/comm};
 *       {@code system} is {@code systemd} when {@code /run/systemd/system} exists (what
 *       sd_booted() checks), {@code openrc} when {@code /run/openrc} exists, {@code sysvinit}
 *       when pid 1 is {@code init} and {@code /etc/inittab} exists, {@code runit}, {@code s6},
 *       {@code upstart} by pid 1's name, else {@code other} (e.g. a container whose pid 1 is a
 *       shell or tini). Absent when neither pid 1's name nor a marker is readable.</li>
 *   <li>{@code tools}: map from each tool in {@link #TOOLS} to a boolean, true when an
 *       executable of that name is in one of the root's {@code PATH} folders ({@link #PATH}, looked
 *       up under the root, never the JVM's own PATH); {@code toolPaths}: where the found ones are.
 *       Both absent when none of the PATH folders exists under the root (a partial capture).</li>
 * </ul>
 */
public final class OsSensor implements Sensor {
    /** Tools the actuators may run. */
    public static final List<String> TOOLS = List.of("modprobe", "systemctl", "tuned-adm", "ethtool", "dmidecode",
            "sysctl", "lspci", "nvidia-smi", "ip");
    /** The folders searched for tools, under the root, in order. */
    public static final List<String> PATH = List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

    @Override
    public String name() {
        return "os";
    }

    @Override
    public Object sense(SensorContext ctx) {
        Map<String, Object> out = new LinkedHashMap<>(ctx.constant("release", () -> {
            for (String path : new String[] {"/etc/os-release", "/usr/lib/os-release"}) {
                HostFile f = ctx.host().root().read(path);
                if (f.isPresent()) {
                    Map<String, Object> rel = parse(f.text());
                    rel.keySet().forEach(k -> ctx.provenance("os." + k, path));
                    return rel;
                }
            }
            return Map.<String, Object>of();
        }));
        Optional<String> pid1 = ctx.value("/proc/1/comm").filter(s -> !s.isEmpty());
        initSystem(pid1.orElse(null), ctx.root().isDirectory("/run/systemd/system"), ctx.root().isDirectory("/run/openrc"),
                ctx.root().exists("/etc/inittab")).ifPresent(system -> {
                    Map<String, Object> init = new LinkedHashMap<>();
                    init.put("system", system);
                    pid1.ifPresent(p -> init.put("pid1", p));
                    out.put("init", init);
                    ctx.provenance("os.init", "/proc/1/comm, /run/systemd/system, /run/openrc");
                });
        if (PATH.stream().noneMatch(ctx.root()::isDirectory)) {
            return out; // no PATH folder under the root (a partial capture): which tools exist is unknown
        }
        Map<String, Object> tools = new LinkedHashMap<>();
        Map<String, Object> paths = new LinkedHashMap<>();
        for (String tool : TOOLS) {
            Optional<String> where = PATH.stream().map(d -> d + "/" + tool).filter(ctx.root()::isExecutable).findFirst();
            tools.put(tool, where.isPresent());
            where.ifPresent(w -> paths.put(tool, w));
        }
        out.put("tools", tools);
        out.put("toolPaths", paths);
        ctx.provenance("os.tools", String.join(":", PATH) + " under the root");
        return out;
    }

    /** The init system from pid 1's name and the markers (see the class doc); empty when nothing is known. */
    public static Optional<String> initSystem(String pid1, boolean runSystemd, boolean runOpenrc, boolean inittab) {
        if (runSystemd || "systemd".equals(pid1)) {
            return Optional.of("systemd");
        }
        if (runOpenrc || "openrc-init".equals(pid1)) {
            return Optional.of("openrc");
        }
        if (pid1 == null) {
            return Optional.empty();
        }
        return Optional.of(switch (pid1) {
            case "init" -> inittab ? "sysvinit" : "other";
            case "runit", "runit-init" -> "runit";
            case "s6-svscan" -> "s6";
            case "upstart" -> "upstart";
            default -> "other";
        });
    }

    /** Parses os-release(5) syntax: KEY=value with optional shell quoting. */
    public static Map<String, Object> parse(String text) {
        Map<String, String> keys = Map.of("ID", "id", "ID_LIKE", "idLike", "NAME", "name", "VERSION", "version",
                "VERSION_ID", "versionId", "PRETTY_NAME", "prettyName", "VERSION_CODENAME", "versionCodename");
        Map<String, Object> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            line = line.strip();
            int eq = line.indexOf('=');
            if (line.startsWith("#") || eq <= 0) {
                continue;
            }
            String k = keys.get(line.substring(0, eq));
            if (k == null) {
                continue;
            }
            String v = line.substring(eq + 1).strip();
            if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
                v = v.substring(1, v.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
            }
            out.put(k, v);
        }
        return out;
    }
}

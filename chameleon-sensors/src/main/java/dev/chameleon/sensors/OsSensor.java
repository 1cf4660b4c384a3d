package dev.chameleon.sensors;

import dev.chameleon.host.HostFile;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code os}: from {@code /etc/os-release} (falling back to {@code /usr/lib/os-release}):
 * {@code id}, {@code idLike}, {@code name}, {@code version}, {@code versionId},
 * {@code prettyName}, {@code versionCodename}; absent keys are left out.
 */
public final class OsSensor implements Sensor {
    @Override
    public String name() {
        return "os";
    }

    @Override
    public Object sense(SensorContext ctx) {
        for (String path : new String[] {"/etc/os-release", "/usr/lib/os-release"}) {
            HostFile f = ctx.host().root().read(path);
            if (f.isPresent()) {
                Map<String, Object> out = parse(f.text());
                out.keySet().forEach(k -> ctx.provenance("os." + k, path));
                return out;
            }
        }
        return Map.of();
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

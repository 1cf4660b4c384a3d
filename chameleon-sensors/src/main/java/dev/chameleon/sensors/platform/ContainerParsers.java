package dev.chameleon.sensors.platform;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Pure parsers for container markers: cgroup files, process environments, /proc/self/status. */
public final class ContainerParsers {
    private ContainerParsers() {
    }

    /** The cgroup paths of a /proc/PID/cgroup file ("id:controllers:path" lines), in file order. */
    public static List<String> cgroupPaths(String text) {
        List<String> out = new ArrayList<>();
        for (String raw : (text == null ? "" : text).split("\r?\n")) {
            String line = raw.strip();
            if (line.isEmpty()) {
                continue;
            }
            int first = line.indexOf(':');
            int second = first < 0 ? -1 : line.indexOf(':', first + 1);
            out.add(second < 0 ? line : line.substring(second + 1));
        }
        return out;
    }

    /**
     * The value of {@code container=} in a process environment. With NUL separators (as the
     * kernel writes it) this is exact; without them (some captures lost the NULs) the value is
     * taken as the longest of {@code known} that follows {@code container=}, else the run of
     * name characters after it.
     */
    public static Optional<String> containerVar(String environ, List<String> known) {
        if (environ == null || environ.isEmpty()) {
            return Optional.empty();
        }
        if (environ.indexOf('\0') >= 0) {
            for (String kv : environ.split("\0")) {
                if (kv.startsWith("container=")) {
                    return Optional.of(kv.substring("container=".length()).strip());
                }
            }
            return Optional.empty();
        }
        // without separators a name boundary cannot be seen ("TERM=xtermcontainer=podman"): take the first
        int at = environ.indexOf("container=");
        if (at < 0) {
            return Optional.empty();
        }
        String rest = environ.substring(at + "container=".length());
        Optional<String> longest = known.stream()
                .filter(rest::startsWith)
                .max(Comparator.comparingInt(String::length));
        if (longest.isPresent()) {
            return longest;
        }
        int end = 0;
        while (end < rest.length() && (Character.isLetterOrDigit(rest.charAt(end)) || rest.charAt(end) == '-'
                || rest.charAt(end) == '_')) {
            end++;
        }
        return end == 0 ? Optional.empty() : Optional.of(rest.substring(0, end));
    }

    /** True when the environment names a variable (NUL-separated or not). */
    public static boolean hasVar(String environ, String name) {
        return environ != null && (environ.startsWith(name + "=") || environ.contains("\0" + name + "=")
                || (environ.indexOf('\0') < 0 && environ.contains(name + "=")));
    }

    /** "Key:\tvalue" lines of /proc/self/status. */
    public static Map<String, String> statusFields(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String raw : (text == null ? "" : text).split("\r?\n")) {
            int colon = raw.indexOf(':');
            if (colon > 0) {
                out.putIfAbsent(raw.substring(0, colon).strip(), raw.substring(colon + 1).strip());
            }
        }
        return out;
    }
}

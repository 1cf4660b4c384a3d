package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.model.SettingKey;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which settings a running TuneD owns, so that Chameleon never fights it.
 *
 * <p>TuneD runs when {@code /run/tuned/tuned.pid} exists; its profiles are the words of
 * {@code /etc/tuned/active_profile}. Each profile's {@code tuned.conf} is read from
 * {@code /etc/tuned/NAME/}, {@code /etc/tuned/profiles/NAME/}, {@code /usr/lib/tuned/NAME/} or
 * {@code /usr/lib/tuned/profiles/NAME/} (first found), following {@code include=}. Owned:
 * {@code [sysctl]} keys ({@code sysctl:KEY}), {@code [vm] transparent_hugepages}
 * ({@code sysfs:thp.enabled}), {@code [cpu] governor} and {@code energy_performance_preference}
 * ({@code sysfs:cpu.governor}, {@code sysfs:cpu.epp}), {@code [disk] elevator} and
 * {@code readahead} ({@code blockQueue:*}/scheduler, read_ahead_kb). A section's plugin is its
 * {@code type=} when given, else its name.
 */
public final class TunedOwnership {
    private static final TunedOwnership NONE = new TunedOwnership(Map.of());
    private final Map<String, String> owned;

    private TunedOwnership(Map<String, String> owned) {
        this.owned = owned;
    }

    /** Owns nothing: TuneD does not run, or the machine is not asked (a simulation). */
    public static TunedOwnership none() {
        return NONE;
    }

    /** Reads TuneD's active profiles under the host's root; empty when TuneD is not running. */
    public static TunedOwnership load(Host host) {
        if (!host.root().exists("/run/tuned/tuned.pid")) {
            return NONE;
        }
        String active = host.root().readTrimmed("/etc/tuned/active_profile").orElse("");
        if (active.isEmpty()) {
            return NONE;
        }
        Map<String, String> owned = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        for (String profile : active.split("\\s+")) {
            read(host, profile, profile, owned, seen);
        }
        return new TunedOwnership(owned);
    }

    private static void read(Host host, String top, String profile, Map<String, String> owned, Set<String> seen) {
        if (!seen.add(profile) || !profile.matches("[A-Za-z0-9_.-]+")) {
            return;
        }
        String file = null;
        for (String dir : List.of("/etc/tuned/", "/etc/tuned/profiles/", "/usr/lib/tuned/", "/usr/lib/tuned/profiles/")) {
            if (host.root().exists(dir + profile + "/tuned.conf")) {
                file = dir + profile + "/tuned.conf";
                break;
            }
        }
        if (file == null) {
            return;
        }
        String section = "";
        String type = "";
        List<String[]> pending = new ArrayList<>();
        for (String raw : (host.root().read(file).text() + "\n[end]").split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                for (String[] kv : pending) {
                    own(type.isEmpty() ? section : type, kv[0], "TuneD profile " + top + " (" + file + " [" + section + "] " + kv[0] + ")", owned);
                }
                pending.clear();
                section = line.substring(1, line.length() - 1).strip();
                type = "";
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String k = line.substring(0, eq).strip();
            String v = line.substring(eq + 1).strip();
            if (section.equals("main") && k.equals("include")) {
                for (String inc : v.split("[,\\s]+")) {
                    read(host, top, inc, owned, seen);
                }
            } else if (k.equals("type")) {
                type = v;
            } else {
                pending.add(new String[] {k, v});
            }
        }
    }

    private static void own(String plugin, String key, String where, Map<String, String> owned) {
        String k = switch (plugin) {
            case "sysctl" -> "sysctl:" + key.replace('/', '.');
            case "vm" -> key.startsWith("transparent_huge") ? "sysfs:thp.enabled" : null;
            case "cpu" -> key.equals("governor") ? "sysfs:cpu.governor" : key.equals("energy_performance_preference") ? "sysfs:cpu.epp" : null;
            case "disk" -> key.equals("elevator") ? "blockQueue:*/scheduler" : key.equals("readahead") ? "blockQueue:*/read_ahead_kb" : null;
            default -> null;
        };
        if (k != null) {
            owned.putIfAbsent(k, where);
        }
    }

    /**
     * Why TuneD owns this setting ("owned by TuneD profile virtual-guest (... [sysctl] vm.dirty_ratio); change it
     * through TuneD or the tunedProfile setting"), or empty.
     */
    public Optional<String> owner(SettingKey key) {
        String where = owned.get(key.toString());
        if (where == null && key.kind().equals("blockQueue") && key.target().contains("/")) {
            where = owned.get("blockQueue:*/" + key.target().substring(key.target().indexOf('/') + 1));
        }
        return where == null ? Optional.empty()
                : Optional.of("owned by " + where + "; change it through TuneD or the tunedProfile setting");
    }
}

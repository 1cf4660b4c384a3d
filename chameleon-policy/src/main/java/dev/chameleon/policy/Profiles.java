package dev.chameleon.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Resolves profiles into the settings a policy applies, TuneD-style: the including side wins a
 * key, included profiles fill in the rest in the order written. Unknown profile names and
 * include cycles are positioned errors (at the reference); a cycle names its whole path.
 */
final class Profiles {
    private final Map<String, Profile> byName;
    private final List<PolicyError> errors;
    private final Map<String, List<SettingRule>> resolved = new HashMap<>();
    private final Set<String> reported = new LinkedHashSet<>();

    Profiles(Map<String, Profile> byName, List<PolicyError> errors) {
        this.byName = byName;
        this.errors = errors;
    }

    /** The policy's own settings, then its profiles' settings for keys it does not set. */
    List<SettingRule> apply(Policy p) {
        List<SettingRule> out = new ArrayList<>(p.settings());
        for (Ref ref : p.profiles()) {
            Profile prof = byName.get(ref.name());
            if (prof == null) {
                errors.add(new PolicyError(p.file(), ref.line(), ref.column(), "no profile named '" + ref.name()
                        + "'" + known(), ""));
                continue;
            }
            merge(out, resolve(prof, new ArrayList<>()));
        }
        return out;
    }

    private String known() {
        return byName.isEmpty() ? " (no profiles are loaded)" : " (known: " + String.join(", ", byName.keySet()) + ")";
    }

    private List<SettingRule> resolve(Profile prof, List<String> path) {
        List<SettingRule> done = resolved.get(prof.name());
        if (done != null) {
            return done;
        }
        path.add(prof.name());
        List<SettingRule> out = new ArrayList<>(prof.settings());
        for (Ref inc : prof.includes()) {
            Profile next = byName.get(inc.name());
            if (next == null) {
                errors.add(new PolicyError(prof.file(), inc.line(), inc.column(), "profile " + prof.name()
                        + " includes '" + inc.name() + "', which is not a profile" + known(), ""));
                continue;
            }
            int at = path.indexOf(next.name());
            if (at >= 0) {
                List<String> cycle = new ArrayList<>(path.subList(at, path.size()));
                cycle.add(next.name());
                String key = String.join(">", cycle);
                if (reported.add(key)) {
                    errors.add(new PolicyError(prof.file(), inc.line(), inc.column(), "include cycle: "
                            + String.join(" -> ", cycle) + "; a profile cannot include itself, directly or not", ""));
                }
                continue;
            }
            merge(out, resolve(next, path));
        }
        path.remove(path.size() - 1);
        List<SettingRule> result = List.copyOf(out);
        resolved.put(prof.name(), result);
        return result;
    }

    /** Adds the rules whose plain key is not set yet; per-element rules are all kept, earlier ones win at evaluation. */
    private static void merge(List<SettingRule> into, List<SettingRule> more) {
        Set<String> have = new LinkedHashSet<>();
        for (SettingRule r : into) {
            if (r.select().isEmpty()) {
                have.add(r.conflictKey());
            }
        }
        for (SettingRule r : more) {
            if (r.select().isPresent() || have.add(r.conflictKey())) {
                into.add(r);
            }
        }
    }
}

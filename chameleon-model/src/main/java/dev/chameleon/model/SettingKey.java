package dev.chameleon.model;

import java.util.Objects;

/**
 * Identifies one managed setting on a machine: its kind (the actuator that owns it) and its
 * target within that kind.
 *
 * <p>Examples: {@code sysctl:vm.swappiness}, {@code kernelModule:vmw_pvscsi},
 * {@code blockQueue:vda/scheduler}. The string form {@code kind:target} is what the CLI shows
 * and what {@code --only} and {@code explain} accept.
 */
public record SettingKey(String kind, String target) implements Comparable<SettingKey> {
    public SettingKey {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(target, "target");
        if (kind.isBlank() || target.isBlank()) {
            throw new IllegalArgumentException("setting key needs a kind and a target, got '" + kind + ":" + target + "'");
        }
    }

    /** Parses {@code kind:target}. */
    public static SettingKey parse(String s) {
        int i = s.indexOf(':');
        if (i <= 0 || i == s.length() - 1) {
            throw new IllegalArgumentException("not a setting key (expected kind:target): '" + s + "'");
        }
        return new SettingKey(s.substring(0, i), s.substring(i + 1));
    }

    @Override
    public int compareTo(SettingKey o) {
        int c = kind.compareTo(o.kind);
        return c != 0 ? c : target.compareTo(o.target);
    }

    @Override
    public String toString() {
        return kind + ":" + target;
    }
}

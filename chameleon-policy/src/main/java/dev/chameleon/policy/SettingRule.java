package dev.chameleon.policy;

import java.util.Optional;

/**
 * One typed setting in a policy, as written.
 *
 * @param kind      the setting kind ({@code sysctl}, {@code kernelModule}, {@code blockQueue})
 * @param target    for plain settings, the target ({@code vm.swappiness}); for per-element
 *                  settings, the attribute ({@code scheduler}) joined to the element after selection
 * @param value     the desired value as text
 * @param select    for per-element settings, the CEL selector over one element; else empty
 * @param line      1-based line of the setting in its file
 * @param column    1-based column
 */
public record SettingRule(String kind, String target, String value, Optional<Condition> select, int line, int column) {
    /** The key used to detect conflicts between policies: per-element rules use {@code kind:*\/attr}. */
    String conflictKey() {
        return select.isPresent() ? kind + ":*/" + target : kind + ":" + target;
    }
}

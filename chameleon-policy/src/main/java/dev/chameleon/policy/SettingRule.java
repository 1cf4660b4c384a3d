package dev.chameleon.policy;

import java.util.Optional;

/**
 * One typed setting in a policy, as written.
 *
 * @param kind      the setting kind ({@code sysctl}, {@code sysfs}, {@code blockQueue}, {@code hugepages},
 *                  {@code kernelModule}, {@code service}, {@code file}, {@code kernelCmdline},
 *                  {@code tunedProfile}, {@code nic}, {@code package}); one policy item may give several rules
 * @param target    for plain settings, the target ({@code vm.swappiness}); for per-element
 *                  settings, the attribute ({@code scheduler}) joined to the element after selection
 * @param value     the desired value as text, in the actuator's form ({@code 10}, {@code >=4096},
 *                  {@code loaded}, {@code mode=0644 content=BASE64})
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

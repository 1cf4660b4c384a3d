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
 * @param file      the file the setting is written in (a profile's settings keep their own file)
 * @param profile   the profile it came from, or empty when written in the policy itself
 */
public record SettingRule(String kind, String target, String value, Optional<Condition> select, int line, int column,
                          String file, String profile) {
    /** A setting as the parser reads it, before its file and profile are known. */
    public SettingRule(String kind, String target, String value, Optional<Condition> select, int line, int column) {
        this(kind, target, value, select, line, column, "", "");
    }

    /** The same setting, noting the file it is written in and the profile it belongs to (or empty). */
    SettingRule from(String inFile, String inProfile) {
        return new SettingRule(kind, target, value, select, line, column, inFile, inProfile);
    }

    /** The key used to detect conflicts between policies: per-element rules use {@code kind:*\/attr}. */
    String conflictKey() {
        return select.isPresent() ? kind + ":*/" + target : kind + ":" + target;
    }
}

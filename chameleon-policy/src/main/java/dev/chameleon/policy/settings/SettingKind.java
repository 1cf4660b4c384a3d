package dev.chameleon.policy.settings;

import dev.chameleon.policy.Syntax;
import java.util.List;
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;

/**
 * One kind of setting as policies write it ({@code - sysctl: {key: vm.swappiness, value: 10}}):
 * its schema (the keys its mapping takes), how it is read and checked, and what it becomes: the
 * rules, in the form its actuator (same {@link #name()}) reads, plans and writes. One file per
 * kind, registered in {@link SettingKinds}; a test fails when a kind has no actuator or an
 * actuator has no kind. Adding a kind: its file here, its actuator, its docs section
 * (docs/actuators.md, docs/policy-reference.md) and its tests.
 */
public interface SettingKind {
    /** The kind as policies write it and as {@code SettingKey.kind()} holds it ({@code sysctl}). */
    String name();

    /** The keys its mapping takes; any other key is an error naming these. */
    Set<String> keys();

    /**
     * Reads one setting's mapping. Problems are recorded through {@code in} at their position and
     * nothing is emitted for a setting with a problem (the caller drops what a bad item emitted).
     *
     * @param body the value under the kind's key ({@code {key: vm.swappiness, value: 10}})
     * @param out  where the rules go, with the item's position
     */
    void read(Syntax in, Node body, Rules out);

    /** Where a kind's rules go: each gets the kind, and the item's line and column. */
    final class Rules {
        private final String kind;
        private final int line;
        private final int column;
        private final List<dev.chameleon.policy.SettingRule> out;

        public Rules(String kind, int line, int column, List<dev.chameleon.policy.SettingRule> out) {
            this.kind = kind;
            this.line = line;
            this.column = column;
            this.out = out;
        }

        /** A setting of {@code target} to {@code value}, in the actuator's value form. */
        public void add(String target, String value) {
            out.add(new dev.chameleon.policy.SettingRule(kind, target, value, java.util.Optional.empty(), line, column));
        }

        /** A per-element setting: {@code attribute} of every element {@code select} holds for (a disk's {@code scheduler}). */
        public void perElement(String attribute, String value, dev.chameleon.policy.Condition select) {
            out.add(new dev.chameleon.policy.SettingRule(kind, attribute, value, java.util.Optional.of(select), line, column));
        }
    }
}

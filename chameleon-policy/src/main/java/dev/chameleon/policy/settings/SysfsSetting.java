package dev.chameleon.policy.settings;

import dev.chameleon.policy.Syntax;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * {@code - sysfs: {knob: thp.enabled, value: madvise}}: a named kernel knob under {@code /sys}
 * ({@code thp.enabled}, {@code thp.defrag}, {@code cpu.governor}, {@code cpu.epp},
 * {@code smt.control}); the value is one word. Rule: {@code sysfs:KNOB}.
 */
final class SysfsSetting implements SettingKind {
    private static final Pattern KNOB = Pattern.compile("thp\\.enabled|thp\\.defrag|cpu\\.governor|cpu\\.epp|smt\\.control");

    @Override
    public String name() {
        return "sysfs";
    }

    @Override
    public Set<String> keys() {
        return Set.of("knob", "value");
    }

    @Override
    public void read(Syntax in, Node body, Rules out) {
        Map<String, NodeTuple> m = in.mapping(body, "sysfs", keys());
        String knob = m == null ? null : in.required(m, body, "knob", "sysfs", "{knob: thp.enabled, value: madvise}");
        String value = m == null ? null : in.required(m, body, "value", "sysfs", "{knob: thp.enabled, value: madvise}");
        if (knob != null && !KNOB.matcher(knob).matches()) {
            in.err(m.get("knob").getValueNode(), "'" + knob + "' is not a sysfs knob Chameleon manages (thp.enabled, thp.defrag, "
                    + "cpu.governor, cpu.epp, smt.control)");
        } else if (knob != null && value != null && in.word(m, "value", value, "sysfs.value")) {
            out.add(knob, value);
        }
    }
}

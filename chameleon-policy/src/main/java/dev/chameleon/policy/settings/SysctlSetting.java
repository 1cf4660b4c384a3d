package dev.chameleon.policy.settings;

import dev.chameleon.model.SettingEncodings;
import dev.chameleon.policy.Syntax;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * {@code - sysctl: {key: vm.swappiness, value: 10, persist: true}}: a kernel parameter. The value is
 * a number, a word, or {@code {atLeast: N}} / {@code {atMost: N}}; blanks are collapsed
 * ({@code "4096 87380 6291456"}). {@code persist: true} also wants the boot-time drop-in
 * ({@code sysctl:persist/KEY}). Rules: {@code sysctl:KEY} (and {@code sysctl:persist/KEY}).
 */
final class SysctlSetting implements SettingKind {
    private static final Pattern KEY = Pattern.compile("[a-z0-9_]+([./][a-zA-Z0-9_*@:-]+)+");

    @Override
    public String name() {
        return "sysctl";
    }

    @Override
    public Set<String> keys() {
        return Set.of("key", "value", "persist");
    }

    @Override
    public void read(Syntax in, Node body, Rules out) {
        Map<String, NodeTuple> m = in.mapping(body, "sysctl", keys());
        if (m == null) {
            return;
        }
        String key = in.scalar(m, "key", "sysctl", true);
        if (!m.containsKey("key")) {
            in.err(body, "sysctl needs a key, e.g. {key: vm.swappiness, value: 10}");
        }
        if (!m.containsKey("value")) {
            in.err(body, "sysctl needs a value, e.g. {key: vm.swappiness, value: 10}");
        }
        String value;
        if (m.containsKey("value") && m.get("value").getValueNode() instanceof MappingNode) {
            value = in.number(m, "value", "sysctl", true);
        } else {
            value = in.settingValue(m, "value", "sysctl");
        }
        String persist = in.scalar(m, "persist", "sysctl", true);
        if (persist != null && !persist.equals("true") && !persist.equals("false")) {
            in.err(m.get("persist").getValueNode(), "sysctl.persist must be true or false, found '" + persist + "'");
            return;
        }
        if (key == null || value == null) {
            return;
        }
        if (!KEY.matcher(key).matches()) {
            in.err(m.get("key").getValueNode(), "'" + key + "' is not a sysctl key (expected dotted words such as net.core.somaxconn)");
            return;
        }
        String k = key.replace('/', '.');
        String v = value.strip().replaceAll("\\s+", " ");
        out.add(k, v);
        if ("true".equals(persist)) {
            out.add(SettingEncodings.sysctlPersisted(k).target(), v);
        }
    }
}

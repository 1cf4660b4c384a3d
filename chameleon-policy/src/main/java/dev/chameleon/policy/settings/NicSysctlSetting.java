package dev.chameleon.policy.settings;

import dev.chameleon.model.SysctlTypes;
import dev.chameleon.policy.Condition;
import dev.chameleon.policy.Syntax;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * {@code - nicSysctl: {select: 'nic.driver == "virtio_net"', family: ipv4, key: rp_filter, value: 2}}:
 * a per-interface kernel parameter ({@code net.FAMILY.conf.NIC.KEY}) on every NIC {@code select}
 * holds for (a CEL expression over {@code nic}, one of the {@code nics} facts; absent: every NIC),
 * as {@code blockQueue} selects disks. NICs added later are selected when the daemon's uevent pass
 * senses them. {@code family} is {@code ipv4} (default) or {@code ipv6}; {@code key} one word
 * ({@code rp_filter}, {@code accept_ra}); {@code value} as for {@code sysctl}, checked against the
 * kernel's documented type of {@code net.FAMILY.conf.*.KEY} ({@link SysctlTypes}). Rules, per
 * selected NIC: {@code nicSysctl:NIC/FAMILY.KEY} ({@code nicSysctl:eth0.100/ipv4.rp_filter}).
 */
final class NicSysctlSetting implements SettingKind {
    private static final Pattern KEY = Pattern.compile("[a-z0-9_]{1,64}");

    @Override
    public String name() {
        return "nicSysctl";
    }

    @Override
    public Set<String> keys() {
        return Set.of("select", "family", "key", "value");
    }

    @Override
    public void read(Syntax in, Node body, Rules out) {
        Map<String, NodeTuple> m = in.mapping(body, "nicSysctl", keys());
        if (m == null) {
            return;
        }
        if (!m.containsKey("key") || !m.containsKey("value")) {
            in.err(body, "nicSysctl needs a key and a value, e.g. {select: 'nic.driver == \"virtio_net\"', key: rp_filter, value: 2}");
            return;
        }
        String key = in.scalar(m, "key", "nicSysctl", true);
        String family = m.containsKey("family") ? in.scalar(m, "family", "nicSysctl", true) : "ipv4";
        String value = m.get("value").getValueNode() instanceof MappingNode ? in.number(m, "value", "nicSysctl", true)
                : in.settingValue(m, "value", "nicSysctl");
        if (key == null || family == null || value == null) {
            return;
        }
        if (!family.equals("ipv4") && !family.equals("ipv6")) {
            in.err(m.get("family").getValueNode(), "nicSysctl.family must be ipv4 or ipv6, found '" + family + "'");
            return;
        }
        if (!KEY.matcher(key).matches()) {
            in.err(m.get("key").getValueNode(), "'" + key + "' is not a per-interface sysctl name (one word such as rp_filter, "
                    + "accept_ra; the interface is chosen by select)");
            return;
        }
        Optional<String> refused = SysctlTypes.refusal("net." + family + ".conf.*." + key, value);
        if (refused.isPresent()) {
            in.err(m.get("value").getValueNode(), refused.get());
            return;
        }
        Condition select = Condition.always("nic");
        if (m.containsKey("select")) {
            Node s = m.get("select").getValueNode();
            if (!(s instanceof ScalarNode ss)) {
                in.err(s, "nicSysctl.select must be a CEL expression over 'nic'");
                return;
            }
            select = in.expression(ss, "nic", "nicSysctl.select");
            if (select == null) {
                return;
            }
        }
        out.perElement(family + "." + key, SysctlTypes.canonical("net." + family + ".conf.*." + key, value), select);
    }
}

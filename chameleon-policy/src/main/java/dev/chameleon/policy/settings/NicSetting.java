package dev.chameleon.policy.settings;

import dev.chameleon.policy.Syntax;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * {@code - nic: {name: eth0, mtu: 9000, channels: {combined: 4}, rings: {rx: 1024}, offload: {tso: off}}}:
 * a network interface's MTU, transmit queue length, ethtool channels, rings and offloads. Rules:
 * {@code nic:IFACE/mtu}, {@code /txqueuelen}, {@code /channels.X}, {@code /rings.X},
 * {@code /offload.X} ({@code on}/{@code off}).
 */
final class NicSetting implements SettingKind {
    private static final Pattern IFACE = Pattern.compile("[A-Za-z0-9_.:@-]{1,15}");

    @Override
    public String name() {
        return "nic";
    }

    @Override
    public Set<String> keys() {
        return Set.of("name", "mtu", "txqueuelen", "channels", "rings", "offload");
    }

    @Override
    public void read(Syntax in, Node body, Rules out) {
        Map<String, NodeTuple> m = in.mapping(body, "nic", keys());
        if (m == null) {
            return;
        }
        String name = in.required(m, body, "name", "nic", "{name: eth0, mtu: 9000}");
        if (name == null) {
            return;
        }
        if (!IFACE.matcher(name).matches()) {
            in.err(m.get("name").getValueNode(), "'" + name + "' is not a network interface name");
            return;
        }
        for (String k : List.of("mtu", "txqueuelen")) {
            String v = in.number(m, k, "nic", true);
            if (v != null) {
                out.add(name + "/" + k, v);
            }
        }
        for (String group : List.of("channels", "rings", "offload")) {
            if (!m.containsKey(group)) {
                continue;
            }
            Set<String> allowed = switch (group) {
                case "channels" -> Set.of("combined", "rx", "tx", "other");
                case "rings" -> Set.of("rx", "tx", "rx-mini", "rx-jumbo");
                default -> Set.of("tso", "gso", "gro", "lro", "sg", "rx", "tx", "rxvlan", "txvlan");
            };
            Map<String, NodeTuple> g = in.mapping(m.get(group).getValueNode(), "nic." + group, allowed);
            if (g == null) {
                continue;
            }
            for (String k : g.keySet()) {
                if (group.equals("offload")) {
                    String v = in.scalar(g, k, "nic.offload", true);
                    if (v != null && !Set.of("on", "off", "true", "false").contains(v)) {
                        in.err(g.get(k).getValueNode(), "nic.offload." + k + " must be on or off, found '" + v + "'");
                    } else if (v != null) {
                        out.add(name + "/offload." + k, v.equals("true") || v.equals("on") ? "on" : "off");
                    }
                } else {
                    String v = in.number(g, k, "nic." + group, true);
                    if (v != null) {
                        out.add(name + "/" + group + "." + k, v);
                    }
                }
            }
        }
        if (m.size() == 1) {
            in.err(body, "nic " + name + " says nothing to do; give mtu, txqueuelen, channels, rings or offload");
        }
    }
}

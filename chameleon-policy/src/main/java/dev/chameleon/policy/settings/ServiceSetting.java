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
 * {@code - service: {name: nginx, state: running, enabled: true, CPUWeight: 200}}: a systemd unit's
 * state, enablement (or mask) and resource controls. Rules: {@code service:UNIT/active}
 * ({@code running}/{@code stopped}), {@code service:UNIT/enabled} ({@code enabled}, {@code disabled},
 * {@code masked}), {@code service:UNIT/PROPERTY} for each resource control.
 */
final class ServiceSetting implements SettingKind {
    private static final Pattern UNIT = Pattern.compile("[A-Za-z0-9@_.:\\\\-]{1,255}");

    @Override
    public String name() {
        return "service";
    }

    @Override
    public Set<String> keys() {
        return Set.of("name", "state", "enabled", "masked", "CPUWeight", "IOWeight", "MemoryHigh", "MemoryMax", "AllowedCPUs");
    }

    @Override
    public void read(Syntax in, Node body, Rules out) {
        Set<String> keys = keys();
        Map<String, NodeTuple> m = in.mapping(body, "service", keys);
        if (m == null) {
            return;
        }
        String name = in.required(m, body, "name", "service", "{name: nginx, state: running, enabled: true}");
        if (name == null) {
            return;
        }
        if (!UNIT.matcher(name).matches() || name.contains("..") || name.contains("/")) {
            in.err(m.get("name").getValueNode(), "'" + name + "' is not a systemd unit name");
            return;
        }
        String state = in.scalar(m, "state", "service", true);
        String enabled = in.scalar(m, "enabled", "service", true);
        String masked = in.scalar(m, "masked", "service", true);
        if (state != null && !state.equals("running") && !state.equals("stopped")) {
            in.err(m.get("state").getValueNode(), "service.state must be running or stopped, found '" + state + "'");
            return;
        }
        for (String b : new String[] {"enabled", "masked"}) {
            String v = b.equals("enabled") ? enabled : masked;
            if (v != null && !v.equals("true") && !v.equals("false")) {
                in.err(m.get(b).getValueNode(), "service." + b + " must be true or false, found '" + v + "'");
                return;
            }
        }
        if ("true".equals(masked) && enabled != null) {
            in.err(m.get("masked").getValueNode(), "service.masked: true leaves no room for enabled; drop one of them");
            return;
        }
        if ("true".equals(masked) && "running".equals(state)) {
            in.err(m.get("masked").getValueNode(), "a masked service cannot be running; use state: stopped");
            return;
        }
        if (m.size() == 1) {
            in.err(body, "service " + name + " says nothing to do; give state, enabled, masked or a resource control");
            return;
        }
        if (state != null) {
            out.add(name + "/active", state);
        }
        if (enabled != null || masked != null) {
            String v = "true".equals(masked) ? "masked" : "true".equals(enabled) ? "enabled" : "disabled";
            out.add(name + "/enabled", v);
        }
        for (String rc : List.of("CPUWeight", "IOWeight", "MemoryHigh", "MemoryMax", "AllowedCPUs")) {
            String v = in.scalar(m, rc, "service", true);
            if (v == null) {
                continue;
            }
            if (rc.equals("AllowedCPUs")) {
                if (!dev.chameleon.model.SettingEncodings.cpuList(v)) {
                    in.err(m.get(rc).getValueNode(), "service.AllowedCPUs must be CPU indexes and ranges (0-3, 0,2,4-7), found '" + v + "'");
                    return;
                }
                out.add(name + "/" + rc, v);
                continue;
            }
            boolean ok = rc.endsWith("Weight") ? v.matches("\\d{1,5}") && Integer.parseInt(v) >= 1 && Integer.parseInt(v) <= 10000
                    || (rc.equals("CPUWeight") && v.equals("idle"))
                    : v.matches("\\d+[KMGT]?|\\d{1,3}(\\.\\d+)?%|infinity");
            if (!ok) {
                in.err(m.get(rc).getValueNode(), "service." + rc + (rc.endsWith("Weight") ? " must be 1..10000" : " must be bytes (512M, 2G), "
                        + "a percentage (80%) or infinity") + ", found '" + v + "'");
                return;
            }
            out.add(name + "/" + rc, v);
        }
    }
}

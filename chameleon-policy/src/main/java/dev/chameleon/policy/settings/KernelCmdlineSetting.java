package dev.chameleon.policy.settings;

import dev.chameleon.policy.Syntax;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * {@code - kernelCmdline: {arg: mitigations=off, state: present}}: a kernel argument for the next
 * boot; {@code state} {@code present} (default) or {@code absent}. Rule: {@code kernelCmdline:ARG}.
 */
final class KernelCmdlineSetting implements SettingKind {
    @Override
    public String name() {
        return "kernelCmdline";
    }

    @Override
    public Set<String> keys() {
        return Set.of("arg", "state");
    }

    @Override
    public void read(Syntax in, Node body, Rules out) {
        Map<String, NodeTuple> m = in.mapping(body, "kernelCmdline", keys());
        String arg = m == null ? null : in.required(m, body, "arg", "kernelCmdline", "{arg: mitigations=off, state: present}");
        String state = m == null ? null : in.scalar(m, "state", "kernelCmdline", true);
        if (arg != null && !arg.matches("[A-Za-z0-9_.,:=/+-]{1,200}")) {
            in.err(m.get("arg").getValueNode(), "'" + arg + "' is not a plain kernel argument (letters, digits, _ . , : = / + -)");
        } else if (state != null && !state.equals("present") && !state.equals("absent")) {
            in.err(m.get("state").getValueNode(), "kernelCmdline.state must be present or absent, found '" + state + "'");
        } else if (arg != null) {
            out.add(arg, state == null ? "present" : state);
        }
    }
}

package dev.chameleon.policy.settings;

import dev.chameleon.policy.Syntax;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * {@code - package: {name: nginx, state: installed, optIn: true}}: software installed or absent;
 * refused without {@code optIn: true} (it installs or removes software). Rule: {@code package:NAME}.
 */
final class PackageSetting implements SettingKind {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9+._-]{0,127}");

    @Override
    public String name() {
        return "package";
    }

    @Override
    public Set<String> keys() {
        return Set.of("name", "state", "optIn");
    }

    @Override
    public void read(Syntax in, Node body, Rules out) {
        Map<String, NodeTuple> m = in.mapping(body, "package", keys());
        String name = m == null ? null : in.required(m, body, "name", "package", "{name: nginx, state: installed, optIn: true}");
        String state = m == null ? null : in.scalar(m, "state", "package", true);
        String optIn = m == null ? null : in.scalar(m, "optIn", "package", true);
        if (m != null && !"true".equals(optIn)) {
            in.err(m.containsKey("optIn") ? m.get("optIn").getValueNode() : body, "package settings install or remove software; "
                    + "say so explicitly with optIn: true");
        } else if (name != null && !NAME.matcher(name).matches()) {
            in.err(m.get("name").getValueNode(), "'" + name + "' is not a package name");
        } else if (state != null && !state.equals("installed") && !state.equals("absent")) {
            in.err(m.get("state").getValueNode(), "package.state must be installed or absent, found '" + state + "'");
        } else if (name != null) {
            out.add(name, state == null ? "installed" : state);
        }
    }
}

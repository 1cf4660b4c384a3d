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
 *
 * <p>{@code version: candidate} (apt's candidate, read when planning) or an exact Debian version
 * ({@code 3.20250512.1~deb12u1}) installs that version: the value is {@code installed candidate}
 * or {@code installed VERSION}. A change apt could not undo (the installed version is no longer
 * offered) is planned as an error unless {@code allowIrreversible: true}, which adds the word
 * {@code allow-irreversible} to the value ({@code installed candidate allow-irreversible}).
 */
final class PackageSetting implements SettingKind {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9+._-]{0,127}");
    /** A Debian version (policy 5.6.12): optional epoch, upstream version, optional revision. */
    static final Pattern VERSION = Pattern.compile("([0-9]+:)?[0-9][A-Za-z0-9.+~:-]{0,127}");

    @Override
    public String name() {
        return "package";
    }

    @Override
    public Set<String> keys() {
        return Set.of("name", "state", "optIn", "version", "allowIrreversible");
    }

    @Override
    public void read(Syntax in, Node body, Rules out) {
        Map<String, NodeTuple> m = in.mapping(body, "package", keys());
        String name = m == null ? null : in.required(m, body, "name", "package", "{name: nginx, state: installed, optIn: true}");
        String state = m == null ? null : in.scalar(m, "state", "package", true);
        String optIn = m == null ? null : in.scalar(m, "optIn", "package", true);
        String version = m == null ? null : in.scalar(m, "version", "package", true);
        String allow = m == null ? null : in.scalar(m, "allowIrreversible", "package", true);
        if (m != null && !"true".equals(optIn)) {
            in.err(m.containsKey("optIn") ? m.get("optIn").getValueNode() : body, "package settings install or remove software; "
                    + "say so explicitly with optIn: true");
        } else if (name != null && !NAME.matcher(name).matches()) {
            in.err(m.get("name").getValueNode(), "'" + name + "' is not a package name");
        } else if (state != null && !state.equals("installed") && !state.equals("absent")) {
            in.err(m.get("state").getValueNode(), "package.state must be installed or absent, found '" + state + "'");
        } else if (version != null && !version.equals("candidate") && !VERSION.matcher(version).matches()) {
            in.err(m.get("version").getValueNode(), "package.version must be candidate (apt's candidate) or a Debian version "
                    + "such as 3.20250512.1~deb12u1, found '" + version + "'");
        } else if (version != null && "absent".equals(state)) {
            in.err(m.get("version").getValueNode(), "package.version goes with state: installed, not absent");
        } else if (allow != null && !allow.equals("true") && !allow.equals("false")) {
            in.err(m.get("allowIrreversible").getValueNode(), "package.allowIrreversible must be true or false, found '" + allow + "'");
        } else if (allow != null && version == null) {
            in.err(m.get("allowIrreversible").getValueNode(), "package.allowIrreversible goes with version: (only a version change can "
                    + "be impossible to undo)");
        } else if (name != null) {
            String value = state == null ? "installed" : state;
            if (version != null) {
                value = "installed " + version + ("true".equals(allow) ? " allow-irreversible" : "");
            }
            out.add(name, value);
        }
    }
}

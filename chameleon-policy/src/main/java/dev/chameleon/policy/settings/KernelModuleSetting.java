package dev.chameleon.policy.settings;

import dev.chameleon.model.SettingEncodings;
import dev.chameleon.policy.Syntax;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * {@code - kernelModule: {name: vmw_pvscsi, state: loaded, options: "a=1", blacklist: true}}: a
 * loadable module's state ({@code loaded}/{@code unloaded}), its options line and its blacklist
 * entry; names with {@code -} become {@code _}. Rules: {@code kernelModule:NAME} (state, default
 * loaded when nothing else is given), {@code kernelModule:NAME/options} ({@code absent} for empty
 * options), {@code kernelModule:NAME/blacklist} ({@code yes}/{@code no}).
 */
final class KernelModuleSetting implements SettingKind {
    private static final Pattern MODULE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

    @Override
    public String name() {
        return "kernelModule";
    }

    @Override
    public Set<String> keys() {
        return Set.of("name", "state", "options", "blacklist");
    }

    @Override
    public void read(Syntax in, Node body, Rules out) {
        Map<String, NodeTuple> m = in.mapping(body, "kernelModule", keys());
        if (m == null) {
            return;
        }
        String name = in.required(m, body, "name", "kernelModule", "{name: vmw_pvscsi, state: loaded}");
        if (name == null) {
            return;
        }
        if (!MODULE.matcher(name).matches()) {
            in.err(m.get("name").getValueNode(), "'" + name + "' is not a kernel module name");
            return;
        }
        String n = name.replace('-', '_');
        String state = in.scalar(m, "state", "kernelModule", true);
        String options = in.scalar(m, "options", "kernelModule", false);
        String blacklist = in.scalar(m, "blacklist", "kernelModule", true);
        if (state != null && !state.equals("loaded") && !state.equals("unloaded")) {
            in.err(m.get("state").getValueNode(), "kernelModule.state must be loaded or unloaded, found '" + state + "'");
            return;
        }
        if (blacklist != null && !blacklist.equals("true") && !blacklist.equals("false")) {
            in.err(m.get("blacklist").getValueNode(), "kernelModule.blacklist must be true or false, found '" + blacklist + "'");
            return;
        }
        if (options != null && !options.strip().matches("([A-Za-z0-9_]+(=[A-Za-z0-9_.,:+-]*)?\\s*)*")) {
            in.err(m.get("options").getValueNode(), "kernelModule.options must be name=value words, found '" + options + "'");
            return;
        }
        if (state != null || (options == null && blacklist == null)) {
            out.add(n, state == null ? "loaded" : state);
        }
        if (options != null) {
            out.add(n + "/options", options.isBlank() ? SettingEncodings.ABSENT : options.strip().replaceAll("\\s+", " "));
        }
        if (blacklist != null) {
            out.add(n + "/blacklist", blacklist.equals("true") ? "yes" : "no");
        }
    }
}

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
 * {@code - file: {path: /etc/app.conf, content: "...", mode: "0644", owner: root:adm}}: a managed
 * file's content, mode and owner, or {@code state: absent}. Rule: {@code file:PATH} with the
 * value {@code [mode=0644 ][owner=U:G ]content=BASE64}, or {@code absent}.
 */
final class FileSetting implements SettingKind {

    @Override
    public String name() {
        return "file";
    }

    @Override
    public Set<String> keys() {
        return Set.of("path", "content", "mode", "owner", "state");
    }

    @Override
    public void read(Syntax in, Node body, Rules out) {
        Map<String, NodeTuple> m = in.mapping(body, "file", keys());
        if (m == null) {
            return;
        }
        String path = in.required(m, body, "path", "file", "{path: /etc/app.conf, content: \"...\", mode: \"0644\"}");
        if (path == null) {
            return;
        }
        if (!path.startsWith("/") || path.contains("/../") || path.endsWith("/") || path.matches(".*\\s.*")
                || path.startsWith("/proc/") || path.startsWith("/sys/") || path.startsWith("/dev/")) {
            in.err(m.get("path").getValueNode(), "'" + path + "' is not a file path Chameleon manages (absolute, no '..', "
                    + "not under /proc, /sys or /dev)");
            return;
        }
        String state = in.scalar(m, "state", "file", true);
        if (state != null && !state.equals("present") && !state.equals("absent")) {
            in.err(m.get("state").getValueNode(), "file.state must be present or absent, found '" + state + "'");
            return;
        }
        if ("absent".equals(state)) {
            if (m.size() > 2) {
                in.err(body, "file with state: absent takes only a path");
                return;
            }
            out.add(path, SettingEncodings.ABSENT);
            return;
        }
        String content = in.scalar(m, "content", "file", false);
        if (content == null) {
            if (!m.containsKey("content")) {
                in.err(body, "file needs a content (or state: absent)");
            }
            return;
        }
        StringBuilder v = new StringBuilder();
        String mode = in.scalar(m, "mode", "file", true);
        if (mode != null) {
            if (!mode.matches("0?[0-7]{3,4}")) {
                in.err(m.get("mode").getValueNode(), "file.mode must be octal such as \"0644\" (quote it), found '" + mode + "'");
                return;
            }
            v.append("mode=").append(String.format("%04o", Integer.parseInt(mode, 8))).append(' ');
        }
        String owner = in.scalar(m, "owner", "file", true);
        if (owner != null) {
            if (!owner.matches("[a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*)?|\\d+(:\\d+)?")) {
                in.err(m.get("owner").getValueNode(), "file.owner must be user or user:group (names or numbers), found '" + owner + "'");
                return;
            }
            v.append("owner=").append(owner).append(' ');
        }
        v.append("content=").append(java.util.Base64.getEncoder().encodeToString(content.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        out.add(path, v.toString());
    }
}

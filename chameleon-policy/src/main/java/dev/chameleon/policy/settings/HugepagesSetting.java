package dev.chameleon.policy.settings;

import dev.chameleon.policy.Syntax;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * {@code - hugepages: {size: 2M, count: 512}}: persistent huge pages of one size; {@code count} is
 * pages (or {@code {atLeast: N}} / {@code {atMost: N}}), {@code size} {@code 2M}, {@code 1G} or
 * {@code 2048kB}. Rule: {@code hugepages:SIZEkB} ({@code hugepages:2048kB}).
 */
final class HugepagesSetting implements SettingKind {
    private static final Pattern SIZE = Pattern.compile("(\\d{1,9})\\s*(kB|K|M|G)");

    @Override
    public String name() {
        return "hugepages";
    }

    @Override
    public Set<String> keys() {
        return Set.of("size", "count");
    }

    @Override
    public void read(Syntax in, Node body, Rules out) {
        Map<String, NodeTuple> m = in.mapping(body, "hugepages", keys());
        String size = m == null ? null : in.required(m, body, "size", "hugepages", "{size: 2M, count: 512}");
        String count = m == null ? null : in.number(m, "count", "hugepages", true);
        if (!(m != null && m.containsKey("count"))) {
            in.err(body, "hugepages needs a count, e.g. {size: 2M, count: 512}");
        }
        String kb = size == null ? null : pageSize(size);
        if (size != null && kb == null) {
            in.err(m.get("size").getValueNode(), "'" + size + "' is not a huge page size (2M, 1G or 2048kB)");
        } else if (kb != null && count != null) {
            out.add(kb, count);
        }
    }

    /** {@code 2M} → {@code 2048kB}, {@code 1G} → {@code 1048576kB}, {@code 2048kB} as is; null when not a size. */
    static String pageSize(String s) {
        var m = SIZE.matcher(s.strip());
        if (!m.matches()) {
            return null;
        }
        long n = Long.parseLong(m.group(1));
        long kb = switch (m.group(2)) {
            case "M" -> n * 1024;
            case "G" -> n * 1024 * 1024;
            default -> n;
        };
        return kb + "kB";
    }
}

package dev.chameleon.policy.settings;

import dev.chameleon.policy.Syntax;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * {@code - blockQueue: {select: 'disk.virtio == true', scheduler: none, read_ahead_kb: {atLeast: 4096}}}:
 * block queue knobs of every disk {@code select} holds for (a CEL expression over {@code disk};
 * absent: every disk). Rules, per selected disk: {@code blockQueue:DISK/scheduler},
 * {@code /read_ahead_kb}, {@code /nr_requests}.
 */
final class BlockQueueSetting implements SettingKind {
    private static final Pattern SCHEDULER = Pattern.compile("[a-z0-9_-]{1,32}");

    @Override
    public String name() {
        return "blockQueue";
    }

    @Override
    public Set<String> keys() {
        return Set.of("select", "scheduler", "read_ahead_kb", "nr_requests");
    }

    @Override
    public void read(Syntax in, Node body, Rules out) {
        Map<String, NodeTuple> m = in.mapping(body, "blockQueue", keys());
        if (m == null) {
            return;
        }
        String sched = in.scalar(m, "scheduler", "blockQueue", true);
        String ra = in.number(m, "read_ahead_kb", "blockQueue", true);
        String nr = in.number(m, "nr_requests", "blockQueue", true);
        if (!m.containsKey("scheduler") && !m.containsKey("read_ahead_kb") && !m.containsKey("nr_requests")) {
            in.err(body, "blockQueue needs a scheduler, read_ahead_kb or nr_requests, e.g. {select: 'disk.virtio', scheduler: none}");
            return;
        }
        if (sched != null && !SCHEDULER.matcher(sched).matches()) {
            in.err(m.get("scheduler").getValueNode(), "'" + sched + "' is not an I/O scheduler name");
            return;
        }
        dev.chameleon.policy.Condition select = dev.chameleon.policy.Condition.always();
        if (m.containsKey("select")) {
            Node s = m.get("select").getValueNode();
            if (!(s instanceof ScalarNode ss)) {
                in.err(s, "blockQueue.select must be a CEL expression over 'disk'");
                return;
            }
            select = in.expression(ss, "disk", "blockQueue.select");
            if (select == null) {
                return;
            }
        }
        if (sched != null) {
            out.perElement("scheduler", sched, select);
        }
        if (ra != null) {
            out.perElement("read_ahead_kb", ra, select);
        }
        if (nr != null) {
            out.perElement("nr_requests", nr, select);
        }
    }
}

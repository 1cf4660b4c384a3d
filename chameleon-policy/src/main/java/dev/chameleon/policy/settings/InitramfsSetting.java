package dev.chameleon.policy.settings;

import dev.chameleon.policy.Syntax;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * {@code - initramfs: {drivers: [virtio_blk, virtio_scsi, virtio_net, virtio_pci], kernel: running}}:
 * the initramfs of a kernel holds these drivers (in the image or built into the kernel), so the
 * disk boots on a platform that needs them. {@code kernel} is a release ({@code 6.1.0-28-amd64})
 * or {@code running} (the default: the kernel the machine runs when the setting is read). Module
 * names are normalised ({@code -} becomes {@code _}), sorted and de-duplicated.
 *
 * <p>Rule: {@code initramfs:KERNEL/D1,D2,...} with the value {@code present}. The actuator adds the
 * drivers through the distribution's tool (initramfs-tools or dracut) and keeps the previous image
 * and configuration for undo.
 */
final class InitramfsSetting implements SettingKind {
    private static final Pattern MODULE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    private static final Pattern RELEASE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}");
    /** More would be a mistake (a target needs 2 to 6): a long list makes an unreadable key. */
    static final int MAX_DRIVERS = 32;

    @Override
    public String name() {
        return "initramfs";
    }

    @Override
    public Set<String> keys() {
        return Set.of("drivers", "kernel");
    }

    @Override
    public void read(Syntax in, Node body, Rules out) {
        Map<String, NodeTuple> m = in.mapping(body, "initramfs", keys());
        if (m == null) {
            return;
        }
        NodeTuple d = m.get("drivers");
        if (d == null) {
            in.err(body, "initramfs needs drivers, e.g. {drivers: [virtio_blk, virtio_net]}");
            return;
        }
        if (!(d.getValueNode() instanceof SequenceNode seq) || seq.getValue().isEmpty()) {
            in.err(d.getValueNode(), "initramfs.drivers must be a list of module names, found " + Syntax.describe(d.getValueNode())
                    + (d.getValueNode() instanceof SequenceNode ? " (empty)" : ""));
            return;
        }
        if (seq.getValue().size() > MAX_DRIVERS) {
            in.err(seq, "initramfs.drivers has " + seq.getValue().size() + " modules; at most " + MAX_DRIVERS);
            return;
        }
        Set<String> drivers = new TreeSet<>();
        for (Node n : seq.getValue()) {
            if (!(n instanceof ScalarNode s) || !MODULE.matcher(s.getValue()).matches()) {
                in.err(n, "'" + (n instanceof ScalarNode s ? s.getValue() : Syntax.describe(n)) + "' is not a kernel module name"
                        + " (letters, digits, _ and -)");
                return;
            }
            drivers.add(s.getValue().replace('-', '_'));
        }
        String kernel = in.scalar(m, "kernel", "initramfs", true);
        if (m.containsKey("kernel") && kernel == null) {
            return;
        }
        if (kernel != null && !RELEASE.matcher(kernel).matches()) {
            in.err(m.get("kernel").getValueNode(), "initramfs.kernel must be a kernel release (6.1.0-28-amd64) or running, found '" + kernel + "'");
            return;
        }
        out.add((kernel == null ? "running" : kernel) + "/" + String.join(",", drivers), "present");
    }
}

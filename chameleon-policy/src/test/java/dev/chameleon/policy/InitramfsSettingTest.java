package dev.chameleon.policy;

import static dev.chameleon.policy.PolicySetTest.compile;
import static dev.chameleon.policy.PolicySetTest.onlyError;
import static dev.chameleon.policy.PolicySetTest.withSetting;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.model.FactSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code initramfs}: a kernel's initramfs holds drivers; one rule per item, keyed by kernel and the sorted driver list. */
class InitramfsSettingTest {
    @Test
    void oneRulePerItemKeyedByKernelAndSortedNormalisedDrivers() throws Exception {
        var ev = compile(withSetting("initramfs: {drivers: [virtio_net, xen-blkfront, virtio_blk, virtio_net]}"))
                .evaluate(FactSet.of(Map.of(), Map.of()));
        assertThat(ev.desired()).extracting(d -> d.key() + "=" + d.value())
                .containsExactly("initramfs:running/virtio_blk,virtio_net,xen_blkfront=present");
        var pinned = compile(withSetting("initramfs: {drivers: [nvme, ena], kernel: 6.1.0-28-amd64}")).evaluate(FactSet.of(Map.of(), Map.of()));
        assertThat(pinned.desired()).extracting(d -> d.key() + "=" + d.value()).containsExactly("initramfs:6.1.0-28-amd64/ena,nvme=present");
    }

    @Test
    void badDriversAndKernelsAreRefusedWhereTheyAre() {
        PolicyError notList = onlyError(withSetting("initramfs: {drivers: virtio_blk}"));
        assertThat(notList.message()).isEqualTo("initramfs.drivers must be a list of module names, found 'virtio_blk'");
        assertThat(notList.line()).isEqualTo(6);
        assertThat(onlyError(withSetting("initramfs: {drivers: []}")).message())
                .isEqualTo("initramfs.drivers must be a list of module names, found a list (empty)");
        PolicyError bad = onlyError(withSetting("initramfs: {drivers: [virtio_blk, \"../evil\"]}"));
        assertThat(bad.message()).isEqualTo("'../evil' is not a kernel module name (letters, digits, _ and -)");
        assertThat(bad.column()).isEqualTo(41);
        assertThat(onlyError(withSetting("initramfs: {kernel: running}")).message())
                .isEqualTo("initramfs needs drivers, e.g. {drivers: [virtio_blk, virtio_net]}");
        assertThat(onlyError(withSetting("initramfs: {drivers: [nvme], kernel: \"6.1 /x\"}")).message())
                .isEqualTo("initramfs.kernel must be a kernel release (6.1.0-28-amd64) or running, found '6.1 /x'");
        assertThat(onlyError(withSetting("initramfs: {drivers: [nvme], image: /boot/x}")).message())
                .startsWith("unknown key 'image' in initramfs (allowed: drivers, kernel)");
    }
}

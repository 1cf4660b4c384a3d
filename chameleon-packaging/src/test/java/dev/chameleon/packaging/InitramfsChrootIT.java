package dev.chameleon.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@code initramfs} setting kind with the real {@code update-initramfs} and {@code lsinitramfs}
 * (issue 18): the Debian 12 root that {@code vm/deb-guest.sh} builds (linux-image-cloud-amd64,
 * initramfs-tools), extracted and chrooted inside a private mount and PID namespace
 * ({@code vm/initramfs-chroot.sh}), the package's files in it. Its initramfs is rebuilt with
 * {@code MODULES=list} (no virtio driver, as on a VMware-shaped guest); {@code chameleon apply}
 * adds virtio_blk, virtio_scsi, virtio_net and virtio_pci through update-initramfs; the image then
 * holds them (read with lsinitramfs), a second plan has nothing to do, and {@code rollback --last}
 * puts the image and {@code /etc/initramfs-tools/modules} back byte for byte (SHA-256), leaving no
 * kept copy. Nothing of this machine's /boot or /etc is touched.
 */
class InitramfsChrootIT {
    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void updateInitramfsAddsTheDriversAndRollbackRestoresTheImageByteForByte() throws Exception {
        DebPackageIT.Proc id = DebPackageIT.Proc.run(List.of("id", "-u"), 10);
        assertThat(id.out().strip()).as("chroot and mounts in a namespace: this test must run as root").isEqualTo("0");
        String deb = System.getProperty("chameleon.deb");
        assertThat(deb).as("system property chameleon.deb (run through 'mvn verify')").isNotNull();
        Path repo = Path.of(System.getProperty("chameleon.repo", ".."));
        Path cache = Path.of(System.getenv().getOrDefault("CHAMELEON_VM_CACHE", "/var/cache/chameleon-vm")).resolve("deb-guest");
        Path tar;
        try (Stream<Path> s = Files.isDirectory(cache) ? Files.list(cache) : Stream.empty()) {
            tar = s.filter(p -> p.getFileName().toString().matches("rootfs-[0-9a-f]+\\.tar")).findFirst().orElse(null);
        }
        assertThat(tar).as("the Debian root of vm/deb-guest.sh (DebGuestIT builds it) in " + cache
                + "; run vm/deb-guest.sh once first").isNotNull();
        Path work = Files.createTempDirectory("chameleon-initramfs");
        try {
            DebPackageIT.Proc run = DebPackageIT.Proc.run(List.of("unshare", "--mount", "--pid", "--fork", "--", "bash",
                    repo.resolve("vm/initramfs-chroot.sh").toString(), tar.toString(), deb, work.toString()), 1080);
            String out = run.out();
            assertThat(run.code()).as(out).isZero();
            Map<String, String> v = new LinkedHashMap<>();
            out.lines().filter(l -> l.startsWith("@") && l.contains("="))
                    .forEach(l -> v.put(l.substring(1, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
            assertThat(v.get("build.rc")).as(out).isEqualTo("0");
            assertThat(v.get("virtio_blk.before")).as("the VMware-shaped image has no virtio_blk\n" + out).isEqualTo("0");
            assertThat(v.get("plan.rc")).as(out).isEqualTo("0");
            assertThat(v.get("plan.missing")).as(out).isEqualTo("1");
            assertThat(v.get("apply.rc")).as(out).isEqualTo("0");
            assertThat(v.get("virtio_blk.applied")).as(out).isEqualTo("1");
            assertThat(v.get("virtio_net.applied")).as(out).isEqualTo("1");
            assertThat(v.get("image.applied")).as(out).isNotEqualTo(v.get("image.before"));
            assertThat(v.get("modules.listed")).as(out).isEqualTo("1");
            assertThat(v.get("kept")).as("the previous image and modules file kept\n" + out).isEqualTo("2");
            assertThat(v.get("replan.rc")).as("plan --exit-code after the apply: nothing to change\n" + out).isEqualTo("0");
            assertThat(v.get("rollback.rc")).as(out).isEqualTo("0");
            assertThat(v.get("virtio_blk.after")).as(out).isEqualTo("0");
            assertThat(v.get("image.after")).as("the image byte for byte\n" + out).isEqualTo(v.get("image.before")).hasSize(64);
            assertThat(v.get("modules.after")).as(out).isEqualTo(v.get("modules.before")).hasSize(64);
            assertThat(v.get("kept.after")).as(out).isEqualTo("0");
        } finally {
            DebPackageIT.Proc.run(List.of("rm", "-rf", work.toString()), 300);
        }
    }
}

package dev.chameleon.engine.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.engine.hardware.Finding.Status;
import dev.chameleon.host.CannedCommandRunner;
import dev.chameleon.host.Host;
import dev.chameleon.host.NoCommandRunner;
import dev.chameleon.host.SysRoot;
import dev.chameleon.model.FactSet;
import dev.chameleon.sensors.SensorSuite;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Readiness} on small Debian-shaped trees. The initramfs images are real: built in the test
 * with GNU cpio (newc) and gzip/zstd, in the layout mkinitramfs writes (an uncompressed
 * early-microcode archive, then the compressed main archive). The module files in them are
 * stand-ins with the real names and paths: this build machine has no kernel modules to pack.
 */
class ReadinessTest {
    static final String REL = "6.1.0-28-amd64";
    static final String MODS = "usr/lib/modules/" + REL + "/kernel/drivers/";

    @TempDir
    Path tmp;
    Path root;

    @BeforeEach
    void debianTree() throws IOException {
        root = tmp.resolve("root");
        write("/proc/sys/kernel/osrelease", REL + "\n");
        write("/etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n");
        write("/usr/bin/true", "");
    }

    void write(String path, String text) throws IOException {
        Path p = root.resolve(path.substring(1));
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    /** Runs {@code sh -c script} in {@code dir}, at most 30 s; a missing tool fails the test with its message. */
    static void sh(Path dir, String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", script).directory(dir.toFile()).redirectErrorStream(true).start();
        boolean done = p.waitFor(30, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(done && p.exitValue() == 0).as("sh -c '%s' (needs cpio, gzip, zstd): %s", script, out).isTrue();
    }

    /** An initramfs as mkinitramfs lays it out, holding {@code modules} (paths under MODS), compressed with {@code compressor}. */
    Path initramfs(String compressor, String... modules) throws Exception {
        Path early = Files.createDirectories(tmp.resolve("early-" + compressor + "/kernel/x86/microcode")).getParent().getParent().getParent();
        Files.writeString(early.resolve("kernel/x86/microcode/GenuineIntel.bin"), "microcode stand-in");
        Path main = tmp.resolve("main-" + compressor);
        Files.createDirectories(main.resolve("usr/bin"));
        Files.writeString(main.resolve("init"), "#!/bin/sh\n");
        for (String m : modules) {
            Path f = main.resolve(MODS + m);
            Files.createDirectories(f.getParent());
            Files.writeString(f, "module stand-in");
        }
        Path out = root.resolve("boot/initrd.img-" + REL);
        Files.createDirectories(out.getParent());
        sh(early, "find . | LC_ALL=C sort | cpio -o -H newc --quiet > '" + tmp.resolve("early.cpio") + "'");
        sh(main, "find . | LC_ALL=C sort | cpio -o -H newc --quiet | " + compressor + " > '" + tmp.resolve("main.cpio.z") + "'");
        sh(tmp, "cat early.cpio main.cpio.z > '" + out + "'");
        return out;
    }

    Readiness.Report check(String target) {
        Host host = new Host(new SysRoot(root), new NoCommandRunner());
        FactSet facts = SensorSuite.standard().only(List.of("os", "kernel")).collect(host);
        return Readiness.check(Platforms.get(target).orElseThrow(), host, facts);
    }

    static Finding finding(Readiness.Report r, String check) {
        return r.findings().stream().filter(f -> f.check().equals(check)).findFirst().orElseThrow();
    }

    @Test
    void aVmwareShapedGuestIsNotReadyForKvmWithTheExactReasons() throws Exception {
        initramfs("gzip -9", "scsi/vmw_pvscsi.ko", "net/vmxnet3/vmxnet3.ko", "ata/ata_piix.ko");
        write("/etc/fstab", "# /etc/fstab\n/dev/sda1 / ext4 errors=remount-ro 0 1\nUUID=5b1e-77 /boot/efi vfat umask=0077 0 1\n"
                + "proc /proc proc defaults 0 0\n");
        write("/boot/grub/grub.cfg", "menuentry 'Debian' {\n\tlinux /boot/vmlinuz-" + REL + " root=/dev/sda1 ro quiet\n}\n");
        write("/etc/default/grub", "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n");
        write("/etc/network/interfaces", "auto lo\niface lo inet loopback\n\nallow-hotplug ens192\niface ens192 inet dhcp\n");
        write("/usr/bin/vmtoolsd", "");
        Readiness.Report r = check("kvm");
        assertThat(r.findings()).extracting(Finding::check, f -> f.status().word()).containsExactly(
                org.assertj.core.groups.Tuple.tuple("initramfs.drivers", "fail"),
                org.assertj.core.groups.Tuple.tuple("fstab.stable-ids", "fail"),
                org.assertj.core.groups.Tuple.tuple("bootloader.stable-ids", "fail"),
                org.assertj.core.groups.Tuple.tuple("network.not-bound", "fail"),
                org.assertj.core.groups.Tuple.tuple("guest-agent", "fail"),
                org.assertj.core.groups.Tuple.tuple("cloud-init.datasource", "pass"),
                org.assertj.core.groups.Tuple.tuple("console.serial", "fail"));
        Finding initrd = finding(r, "initramfs.drivers");
        assertThat(initrd.found()).isEqualTo("missing virtio_pci, virtio_blk, virtio_scsi, virtio_net");
        // 21 = 5 entries of the early microcode archive + 16 of the gzip one: both archives were read
        assertThat(initrd.evidence().get(0)).isEqualTo("/boot/initrd.img-" + REL + ": 21 entries, 3 modules (read with cpio reader (gzip))");
        assertThat(initrd.fix()).isEqualTo("printf '%s\\n' virtio_pci virtio_blk virtio_scsi virtio_net >> /etc/initramfs-tools/modules && update-initramfs -u -k " + REL);
        assertThat(finding(r, "fstab.stable-ids").evidence()).containsExactly("/etc/fstab:2: /dev/sda1 / ext4 errors=remount-ro 0 1");
        assertThat(finding(r, "bootloader.stable-ids").evidence()).containsExactly(
                "/boot/grub/grub.cfg:2: linux /boot/vmlinuz-" + REL + " root=/dev/sda1 ro quiet");
        assertThat(finding(r, "network.not-bound").evidence()).containsExactly(
                "/etc/network/interfaces:4: allow-hotplug ens192  (interface named ens192)",
                "/etc/network/interfaces:5: iface ens192 inet dhcp  (interface named ens192)");
        assertThat(finding(r, "guest-agent").fix()).isEqualTo("apt-get install -y qemu-guest-agent");
        assertThat(finding(r, "console.serial").evidence()).containsExactly(
                "/etc/default/grub:2: GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"", "/etc/default/grub:3: GRUB_CMDLINE_LINUX=\"\"",
                "/boot/grub/grub.cfg: no kernel line with console=ttyS0");
        // and the same disk is ready for VMware in everything but the console
        Readiness.Report vmware = check("vmware");
        assertThat(finding(vmware, "initramfs.drivers").status()).isEqualTo(Status.PASS);
        assertThat(finding(vmware, "guest-agent").status()).isEqualTo(Status.PASS);
    }

    @Test
    void aFixedGuestIsReadyForKvmOnEveryCheck() throws Exception {
        initramfs("zstd -q -19", "virtio/virtio_pci.ko", "block/virtio_blk.ko", "scsi/virtio_scsi.ko.zst", "net/virtio_net.ko.xz");
        write("/etc/fstab", "UUID=0a3c-11 / ext4 errors=remount-ro 0 1\nLABEL=boot /boot ext4 defaults 0 2\n/dev/mapper/vg-swap none swap sw 0 0\n");
        write("/boot/grub/grub.cfg", "\tlinux /boot/vmlinuz-" + REL + " root=UUID=0a3c-11 ro console=tty0 console=ttyS0,115200n8\n");
        write("/etc/netplan/50-cloud-init.yaml", "network:\n  version: 2\n  ethernets:\n    all-en:\n      match:\n        name: \"en*\"\n      dhcp4: true\n");
        write("/usr/sbin/qemu-ga", "");
        write("/usr/bin/cloud-init", "");
        write("/etc/cloud/cloud.cfg", "users: [default]\n");
        write("/etc/cloud/cloud.cfg.d/90_dpkg.cfg", "datasource_list: [ NoCloud, ConfigDrive, OpenStack, None ]\n");
        Readiness.Report r = check("kvm");
        assertThat(r.findings()).allSatisfy(f -> assertThat(f.status()).as(f.check() + " " + f.evidence()).isEqualTo(Status.PASS));
        assertThat(finding(r, "initramfs.drivers").evidence().get(0)).endsWith("(read with cpio reader (zstd))");
        assertThat(finding(r, "console.serial").evidence()).containsExactly(
                "/boot/grub/grub.cfg:1: linux /boot/vmlinuz-" + REL + " root=UUID=0a3c-11 ro console=tty0 console=ttyS0,115200n8");
        assertThat(r.hasFailures()).isFalse();
    }

    @Test
    void anXzImageIsReadToo() throws Exception {
        initramfs("xz --check=crc32 -T1", "scsi/xen-blkfront.ko", "net/xen-netfront.ko");
        Finding f = finding(check("xen"), "initramfs.drivers");
        assertThat(f.status()).isEqualTo(Status.PASS);
        assertThat(f.evidence()).containsExactly("/boot/initrd.img-" + REL + ": 18 entries, 2 modules (read with cpio reader (xz))",
                "xen-blkfront: /boot/initrd.img-" + REL + ": " + MODS + "scsi/xen-blkfront.ko",
                "xen-netfront: /boot/initrd.img-" + REL + ": " + MODS + "net/xen-netfront.ko");
    }

    @Test
    void networkConfigurationBoundToAMacOrASlotNameFailsInEachFormat() throws Exception {
        write("/etc/netplan/01.yaml", "network:\n  ethernets:\n    ens3:\n      dhcp4: true\n    lan:\n      match:\n        macaddress: 52:54:00:12:34:56\n      set-name: lan\n");
        write("/etc/systemd/network/10-lan.network", "[Match]\nMACAddress=52:54:00:12:34:56\n\n[Network]\nDHCP=yes\n");
        write("/etc/systemd/network/20-wan.network", "[Match]\nName=enp0s3\n[Network]\nDHCP=yes\n");
        write("/etc/systemd/network/30-any.network", "[Match]\nName=en*\n[Network]\nDHCP=yes\n");
        write("/etc/NetworkManager/system-connections/Wired.nmconnection",
                "[connection]\nid=Wired\ninterface-name=ens33\n[ethernet]\nmac-address=00:0C:29:AA:BB:CC\n");
        write("/etc/udev/rules.d/70-persistent-net.rules",
                "# generated\nSUBSYSTEM==\"net\", ACTION==\"add\", ATTR{address}==\"00:0c:29:aa:bb:cc\", NAME=\"eth0\"\n");
        Finding f = Readiness.network(new SysRoot(root));
        assertThat(f.status()).isEqualTo(Status.FAIL);
        assertThat(f.evidence()).containsExactly(
                "/etc/netplan/01.yaml:3: ens3:  (interface named ens3)",
                "/etc/netplan/01.yaml:7: macaddress: 52:54:00:12:34:56  (matched by MAC address)",
                "/etc/systemd/network/10-lan.network:2: MACAddress=52:54:00:12:34:56  (matched by MAC address)",
                "/etc/systemd/network/20-wan.network:2: Name=enp0s3  (matched by the name enp0s3)",
                "/etc/NetworkManager/system-connections/Wired.nmconnection:3: interface-name=ens33  (bound to the name ens33)",
                "/etc/NetworkManager/system-connections/Wired.nmconnection:5: mac-address=00:0C:29:AA:BB:CC  (bound to a MAC address)",
                "/etc/udev/rules.d/70-persistent-net.rules:2: SUBSYSTEM==\"net\", ACTION==\"add\", ATTR{address}==\"00:0c:29:aa:bb:cc\", NAME=\"eth0\""
                        + "  (an interface named by its MAC address)");
    }

    @Test
    void badInputsAreUnknownWithWhyAndLoseNothing() throws Exception {
        // /etc/fstab a folder: unreadable (a chmod 000 file would still be read by root, which runs CI)
        Files.createDirectories(root.resolve("etc/fstab"));
        Finding unreadable = Readiness.fstab(new SysRoot(root));
        assertThat(unreadable.status()).isEqualTo(Status.UNKNOWN);
        assertThat(unreadable.evidence()).containsExactly("/etc/fstab: cannot read: is a directory");
        Files.delete(root.resolve("etc/fstab"));
        write("/etc/fstab", "UUID=1 / ext4 defaults 0 1\n  # indented comment\n\t\nonlyonefield\na b c d e f g h\nLABEL=x\t/home   ext4 defaults\n");
        Finding odd = Readiness.fstab(new SysRoot(root));
        assertThat(odd.status()).isEqualTo(Status.UNKNOWN);
        assertThat(odd.evidence()).containsExactly(
                "/etc/fstab:4: cannot read this line (1 field; an fstab line has 2 to 6): onlyonefield",
                "/etc/fstab:5: cannot read this line (8 fields; an fstab line has 2 to 6): a b c d e f g h");
        assertThat(odd.found()).isEqualTo("2 entries by stable names, some lines unreadable");

        Path image = initramfs("gzip", "block/virtio_blk.ko");
        byte[] whole = Files.readAllBytes(image);
        Files.write(image, java.util.Arrays.copyOf(whole, whole.length - 40)); // truncated in the gzip stream
        Finding truncated = finding(check("kvm"), "initramfs.drivers");
        assertThat(truncated.status()).isEqualTo(Status.UNKNOWN);
        assertThat(truncated.evidence().get(0)).startsWith("/boot/initrd.img-" + REL + ": cannot read: corrupt after ");
        Files.write(image, "this is not an initramfs at all".getBytes(StandardCharsets.US_ASCII));
        Finding garbage = finding(check("kvm"), "initramfs.drivers");
        assertThat(garbage.evidence()).containsExactly("/boot/initrd.img-" + REL
                + ": cannot read: after 0 entries: neither a cpio archive nor gzip, xz, zstd or bzip2 (bytes 746869732069)");
        Files.write(image, new byte[0]);
        assertThat(finding(check("kvm"), "initramfs.drivers").evidence()).containsExactly("/boot/initrd.img-" + REL + ": cannot read: empty: no cpio archive in it");
        Files.delete(image);
        assertThat(finding(check("kvm"), "initramfs.drivers").evidence()).containsExactly(
                "no initramfs in /boot (initrd.img-RELEASE, initramfs-RELEASE.img) for the running kernel " + REL);
    }

    @Test
    void theDistributionsToolIsUsedWhenTheRunnerHasIt() throws Exception {
        write("/boot/initramfs-" + REL + ".img", "listed by the tool, not read");
        write("/etc/os-release", "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n");
        Path commands = Files.createDirectories(tmp.resolve("commands"));
        // lsinitrd's long listing, as dracut prints it (header lines, then ls -l style rows)
        Files.writeString(commands.resolve("lsinitrd"), "Image: /boot/initramfs-" + REL + ".img: 31M\n"
                + "========================================================================\n"
                + "drwxr-xr-x  12 root root 0 Jan  1 00:00 .\n"
                + "-rw-r--r--   1 root root 31 Jan  1 00:00 usr/lib/modules/" + REL + "/kernel/drivers/scsi/hv_storvsc.ko.xz\n"
                + "-rw-r--r--   1 root root 31 Jan  1 00:00 usr/lib/modules/" + REL + "/kernel/drivers/hv/hv_vmbus.ko.xz\n"
                + "lrwxrwxrwx   1 root root 7 Jan  1 00:00 lib -> usr/lib\n");
        Host host = new Host(new SysRoot(root), new CannedCommandRunner(commands));
        FactSet facts = SensorSuite.standard().only(List.of("os", "kernel")).collect(host);
        Readiness.Report r = Readiness.check(Platforms.get("hyperv").orElseThrow(), host, facts);
        Finding f = finding(r, "initramfs.drivers");
        assertThat(f.found()).isEqualTo("missing hv_netvsc");
        assertThat(f.evidence().get(0)).endsWith("(read with lsinitrd)");
        assertThat(f.fix()).isEqualTo("echo 'add_drivers+=\" hv_netvsc \"' > /etc/dracut.conf.d/90-chameleon.conf && dracut -f /boot/initramfs-"
                + REL + ".img " + REL);
        assertThat(finding(r, "guest-agent").fix()).isEqualTo("dnf install -y hyperv-daemons");
    }

    @Test
    void aCloudTargetNeedsCloudInitWithItsDatasource() throws Exception {
        write("/usr/bin/cloud-init", "");
        write("/etc/cloud/cloud.cfg", "datasource_list:\n  - NoCloud\n  - None\nusers: [default]\n");
        Finding f = Readiness.cloudInit(Platforms.get("aws").orElseThrow(), new SysRoot(root), new Readiness.Distro(true, false));
        assertThat(f.status()).isEqualTo(Status.FAIL);
        assertThat(f.evidence()).containsExactly("/etc/cloud/cloud.cfg:1: datasource_list: - NoCloud - None");
        assertThat(f.fix()).isEqualTo("add Ec2 to datasource_list in /etc/cloud/cloud.cfg (e.g. datasource_list: [ Ec2, None ])");
        Files.delete(root.resolve("usr/bin/cloud-init"));
        Finding none = Readiness.cloudInit(Platforms.get("azure").orElseThrow(), new SysRoot(root), new Readiness.Distro(true, false));
        assertThat(none.status()).isEqualTo(Status.FAIL);
        assertThat(none.fix()).isEqualTo("apt-get install -y cloud-init");
    }
}

package dev.chameleon.actuators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chameleon.host.Host;
import dev.chameleon.host.SysRoot;
import dev.chameleon.model.ChangeSet;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.JournalEntry;
import dev.chameleon.model.PlanEntry;
import dev.chameleon.model.Reason;
import dev.chameleon.model.SettingKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code initramfs} kind against a fixture root holding a real initramfs image (an early cpio
 * and a gzip newc cpio, read by {@link InitramfsListing}'s cpio reader), rebuilt by the stand-in
 * tools of {@link FakeInitramfsTools}: read, plan, apply, verify, roll back byte for byte, a failing
 * rebuild, dracut, crash points, and bad input. Nothing outside the temporary folder is touched.
 */
class InitramfsActuatorTest {
    static final String REL = "6.1.0-test";
    static final String KEY = "initramfs:running/virtio_blk,virtio_net,virtio_pci,virtio_scsi";
    static final String DEBIAN_MODULES = """
            # List of modules that you want to include in your initramfs.
            # They will be loaded at boot time in the order below.
            #
            # Syntax:  module_name [args ...]
            """;

    @TempDir
    Path tmp;
    int run;

    final class Machine {
        final Path rootDir;
        final FakeInitramfsTools tools;
        final Host host;
        final Journal journal;

        Machine(boolean dracut) throws IOException {
            rootDir = tmp.resolve("m" + (run++));
            write("/proc/sys/kernel/osrelease", REL + "\n");
            write("/proc/sys/vm/swappiness", "60\n");
            StringBuilder dep = new StringBuilder();
            for (String p : List.of("kernel/drivers/scsi/vmw_pvscsi.ko.xz", "kernel/drivers/net/vmxnet3/vmxnet3.ko.xz",
                    "kernel/drivers/block/virtio_blk.ko.xz", "kernel/drivers/scsi/virtio_scsi.ko.xz", "kernel/drivers/net/virtio_net.ko.xz",
                    "kernel/drivers/nvme/host/nvme.ko.xz", "kernel/drivers/block/xen-blkfront.ko.xz")) {
                dep.append(p).append(":\n");
                // module files with recognisable bytes: the stand-in tools copy them into the image
                write("/lib/modules/" + REL + "/" + p, "\u007fELF module " + p + "\n");
            }
            write("/lib/modules/" + REL + "/modules.dep", dep.toString());
            write("/lib/modules/" + REL + "/modules.builtin", "kernel/drivers/virtio/virtio_pci.ko\nkernel/drivers/virtio/virtio.ko\n");
            write("/fake/initramfs/dep", "vmw_pvscsi\nvmxnet3\n");
            if (dracut) {
                Files.createDirectories(rootDir.resolve("etc/dracut.conf.d"));
                FakeInitramfsTools.build(rootDir, REL, List.of("vmw_pvscsi", "vmxnet3"), rootDir.resolve("boot/initramfs-" + REL + ".img"));
            } else {
                write("/etc/initramfs-tools/initramfs.conf", "MODULES=dep\n");
                write("/etc/initramfs-tools/modules", DEBIAN_MODULES);
                FakeInitramfsTools.build(rootDir, REL, List.of("vmw_pvscsi", "vmxnet3"), rootDir.resolve("boot/initrd.img-" + REL));
            }
            tools = new FakeInitramfsTools(rootDir);
            host = new Host(new SysRoot(rootDir), tools);
            journal = new Journal(rootDir.resolveSibling(rootDir.getFileName() + "-state"));
        }

        void write(String path, String text) throws IOException {
            Path p = rootDir.resolve(path.substring(1));
            Files.createDirectories(p.getParent());
            Files.writeString(p, text);
        }

        byte[] bytes(String path) throws IOException {
            return Files.readAllBytes(rootDir.resolve(path.substring(1)));
        }

        Applier applier() {
            return new Applier(Actuators.standard(), journal);
        }

        Current read() {
            return new InitramfsActuator().read(host, SettingKey.parse(KEY));
        }

        /** Every file under the root: path → SHA-256 and mode (empty folders do not count). */
        Map<String, String> snapshot() throws IOException {
            Map<String, String> out = new TreeMap<>();
            try (Stream<Path> s = Files.walk(rootDir)) {
                for (Path p : s.filter(Files::isRegularFile).toList()) {
                    String rel = rootDir.relativize(p).toString();
                    // kernel files by their value (a sysctl undo writes "60", the fixture had "60\n"), other files by their bytes
                    out.put(rel, (rel.startsWith("proc/") ? Files.readString(p).strip() : InitramfsActuator.sha256(p))
                            + " " + Files.getAttribute(p, "unix:mode"));
                }
            }
            return out;
        }
    }

    static DesiredSetting want(String key, String value) {
        return new DesiredSetting(SettingKey.parse(key), value, new Reason("test", "test.yaml:1", 50, "true", List.of(), ""));
    }

    static List<String> modulesIn(Host host, String image) throws IOException {
        return List.copyOf(InitramfsListing.modules(InitramfsListing.list(host, image).paths()).keySet());
    }

    @Test
    void readsWhichDriversTheImageLacksWithTheHashesOfImageAndConfiguration() throws IOException {
        Machine m = new Machine(false);
        String img = InitramfsActuator.sha256(m.rootDir.resolve("boot/initrd.img-" + REL));
        String conf = InitramfsActuator.sha256(m.rootDir.resolve("etc/initramfs-tools/modules"));
        Current c = m.read();
        // virtio_pci is built into this kernel: present without being in the image
        assertThat(c.value()).isEqualTo("missing virtio_blk,virtio_net,virtio_scsi image=sha256:" + img + " config=sha256:" + conf);
        assertThat(new InitramfsActuator().describe(SettingKey.parse(KEY), c.value()))
                .isEqualTo("missing virtio_blk,virtio_net,virtio_scsi image=sha256:" + img.substring(0, 12) + " config=sha256:" + conf.substring(0, 12));
        assertThat(new InitramfsActuator().read(m.host, SettingKey.parse("initramfs:running/vmw_pvscsi,vmxnet3")).value()).startsWith("present image=");
        var plan = m.applier().planner().plan(m.host, List.of(want(KEY, "present")));
        assertThat(plan.entries()).singleElement().satisfies(e -> assertThat(e.action()).isEqualTo(PlanEntry.Action.CHANGE));
    }

    @Test
    void appliesThroughUpdateInitramfsAndRollsBackImageAndConfigurationByteForByte() throws IOException {
        Machine m = new Machine(false);
        String image = "/boot/initrd.img-" + REL;
        byte[] imageBefore = m.bytes(image);
        byte[] confBefore = m.bytes("/etc/initramfs-tools/modules");
        Files.setAttribute(m.rootDir.resolve(image.substring(1)), "unix:mode", 0600);
        Map<String, String> before = m.snapshot();
        Applier a = m.applier();

        var result = a.apply(m.host, List.of(want(KEY, "present")), "test");

        assertThat(result.ok()).as(result.message()).isTrue();
        assertThat(m.tools.rebuilds()).containsExactly("update-initramfs -u -k " + REL);
        assertThat(m.tools.timeouts.get("update-initramfs -u -k " + REL)).isEqualTo(Duration.ofMinutes(10));
        assertThat(modulesIn(m.host, image)).containsExactlyInAnyOrder("vmw_pvscsi", "vmxnet3", "virtio_blk", "virtio_net", "virtio_scsi");
        assertThat(new String(m.bytes("/etc/initramfs-tools/modules"), StandardCharsets.UTF_8)).isEqualTo(DEBIAN_MODULES
                + "# added by chameleon for initramfs:running/virtio_blk,virtio_net,virtio_pci,virtio_scsi; 'chameleon rollback' restores this file\n"
                + "virtio_blk\nvirtio_net\nvirtio_pci\nvirtio_scsi\n");
        JournalEntry e = result.changeSet().entries().get(0);
        assertThat(e.before()).startsWith("missing virtio_blk,virtio_net,virtio_scsi image=sha256:" + InitramfsActuator.sha256(
                m.rootDir.resolve(InitramfsActuator.KEPT.substring(1)).resolve("initrd.img-" + REL + "." + e.before().replaceAll(".*image=sha256:(\\w+).*", "$1"))));
        assertThat(e.undoCommand()).contains("/var/lib/chameleon/initramfs/").contains("initrd.img-$(uname -r)");
        try (Stream<Path> kept = Files.list(m.rootDir.resolve(InitramfsActuator.KEPT.substring(1)))) {
            assertThat(kept.map(p -> p.getFileName().toString().replaceFirst("\\.[0-9a-f]{64}$", ""))).containsExactlyInAnyOrder("initrd.img-" + REL, "modules");
        }
        assertThat(a.apply(m.host, List.of(want(KEY, "present")), "again").changeSet()).as("nothing left to do").isNull();

        var rb = a.rollback(m.host, a.lastApplied().orElseThrow());

        assertThat(rb.ok()).as(rb.message()).isTrue();
        assertThat(m.bytes(image)).isEqualTo(imageBefore);
        assertThat(m.bytes("/etc/initramfs-tools/modules")).isEqualTo(confBefore);
        assertThat(m.snapshot()).as("the image's mode too, and no kept copy left").isEqualTo(before);
        assertThat(m.tools.rebuilds()).as("undo copies the kept image back; no rebuild").hasSize(1);
    }

    @Test
    void aFailingRebuildIsUndoneAndLeavesTheMachineAsItWas() throws IOException {
        Machine m = new Machine(false);
        Map<String, String> before = m.snapshot();
        m.tools.failing.add("update-initramfs");
        var result = m.applier().apply(m.host, List.of(want("sysctl:vm.swappiness", "10"), want(KEY, "present")), "test");
        assertThat(result.ok()).isFalse();
        ChangeSet cs = result.changeSet();
        assertThat(cs.status()).isEqualTo("failed-rolled-back");
        assertThat(cs.message()).contains("'update-initramfs -u -k 6.1.0-test' failed: update-initramfs: failed for /boot/initrd.img-6.1.0-test with 1.");
        assertThat(m.snapshot()).isEqualTo(before);
    }

    @Test
    void dracutGetsItsOwnDropInWhichRollbackRemoves() throws IOException {
        Machine m = new Machine(true);
        String image = "/boot/initramfs-" + REL + ".img";
        Map<String, String> before = m.snapshot();
        Applier a = m.applier();
        var result = a.apply(m.host, List.of(want("initramfs:" + REL + "/nvme,xen_blkfront", "present")), "test");
        assertThat(result.ok()).as(result.message()).isTrue();
        assertThat(m.tools.rebuilds()).containsExactly("dracut -f " + image + " " + REL);
        assertThat(new String(m.bytes("/etc/dracut.conf.d/90-chameleon.conf"), StandardCharsets.UTF_8))
                .isEqualTo(ManagedFile.HEADER + "add_drivers+=\" nvme xen_blkfront \"\n");
        assertThat(modulesIn(m.host, image)).contains("nvme", "xen_blkfront");
        assertThat(result.changeSet().entries().get(0).before()).endsWith(" config=absent");
        assertThat(a.rollback(m.host, a.lastApplied().orElseThrow()).ok()).isTrue();
        assertThat(m.snapshot()).isEqualTo(before);
        assertThat(m.rootDir.resolve("etc/dracut.conf.d/90-chameleon.conf")).doesNotExist();
    }

    @Test
    void everyCrashPointOfAnApplyIsRecoveredExactly() throws Exception {
        List<DesiredSetting> desired = List.of(want("sysctl:vm.swappiness", "10"), want(KEY, "present"));
        Machine probe = new Machine(false);
        CrashPointTest.Steps counted = new CrashPointTest.Steps(0);
        assertThat(new Applier(Actuators.standard(), probe.journal, counted).apply(probe.host, desired, "count").ok()).isTrue();
        int n = counted.seen.size();
        assertThat(n).isEqualTo(1 + 4 * 2 + 1);
        for (int k = 1; k < n; k++) {
            Machine m = new Machine(false);
            Map<String, String> before = m.snapshot();
            CrashPointTest.Steps s = new CrashPointTest.Steps(k);
            assertThatThrownBy(() -> new Applier(Actuators.standard(), m.journal, s).apply(m.host, desired, "crash"))
                    .isInstanceOf(CrashPointTest.Crash.class);
            assertThat(m.applier().recover(m.host)).singleElement().satisfies(cs -> assertThat(cs.status()).isEqualTo("recovered"));
            assertThat(m.snapshot()).as("crash after step " + k + ": " + s.seen.get(k - 1)).isEqualTo(before);
        }
    }

    @Test
    void notApplicableWhereTheDriversOrTheImageCannotBe() throws IOException {
        Machine m = new Machine(false);
        InitramfsActuator a = new InitramfsActuator();
        assertThat(a.read(m.host, SettingKey.parse("initramfs:running/virtio_blk,no_such_mod")).note())
                .isEqualTo("no_such_mod is not a module of kernel 6.1.0-test (not in /lib/modules/6.1.0-test/modules.dep nor modules.builtin)");
        assertThat(a.read(m.host, SettingKey.parse("initramfs:6.9.9-other/virtio_blk")).note())
                .isEqualTo("kernel 6.9.9-other has no /lib/modules/6.9.9-other/modules.dep");
        Files.delete(m.rootDir.resolve("boot/initrd.img-" + REL));
        assertThat(a.read(m.host, SettingKey.parse(KEY)).note()).isEqualTo("no initramfs /boot/initrd.img-6.1.0-test for kernel 6.1.0-test");
        assertThat(a.resolve(SettingKey.parse(KEY), "absent", "").note()).isEqualTo("initramfs takes present (the drivers are in the image), found 'absent'");
        Machine bare = new Machine(false);
        deleteTree(bare.rootDir.resolve("etc/initramfs-tools"));
        assertThat(a.unavailable(bare.host)).hasValue("neither initramfs-tools (/etc/initramfs-tools) nor dracut (/etc/dracut.conf.d) is here");
    }

    @Test
    void badInputIsAnErrorAndNothingIsLeftHalfChanged() throws IOException {
        Machine m = new Machine(false);
        InitramfsActuator a = new InitramfsActuator();
        // a corrupt image: an error saying where, never a guess
        byte[] good = m.bytes("/boot/initrd.img-" + REL);
        Files.write(m.rootDir.resolve("boot/initrd.img-" + REL), java.util.Arrays.copyOf(good, good.length - 30));
        assertThat(a.read(m.host, SettingKey.parse(KEY)).state()).isEqualTo(Current.State.ERROR);
        assertThat(a.read(m.host, SettingKey.parse(KEY)).note()).startsWith("cannot read /boot/initrd.img-6.1.0-test: corrupt after ");
        Files.write(m.rootDir.resolve("boot/initrd.img-" + REL), good);

        // a hand-written dracut drop-in at chameleon's path is never overwritten
        Machine d = new Machine(true);
        d.write("/etc/dracut.conf.d/90-chameleon.conf", "add_drivers+=\" mine \"\n");
        Map<String, String> before = d.snapshot();
        var r = d.applier().apply(d.host, List.of(want(KEY, "present")), "test");
        assertThat(r.ok()).isFalse();
        assertThat(r.message()).contains("/etc/dracut.conf.d/90-chameleon.conf exists but was not written by chameleon");
        assertThat(d.snapshot()).isEqualTo(before);

        // the kept copy removed by hand: the rollback says so and how to rebuild instead
        Applier ap = m.applier();
        assertThat(ap.apply(m.host, List.of(want(KEY, "present")), "test").ok()).isTrue();
        try (Stream<Path> kept = Files.list(m.rootDir.resolve(InitramfsActuator.KEPT.substring(1)))) {
            for (Path p : kept.filter(p -> p.getFileName().toString().startsWith("initrd.img")).toList()) {
                Files.delete(p);
            }
        }
        var rb = ap.rollback(m.host, ap.lastApplied().orElseThrow());
        assertThat(rb.ok()).isFalse();
        assertThat(rb.message()).contains("the kept copy of /boot/initrd.img-6.1.0-test (sha256 ")
                .contains("is not in /var/lib/chameleon/initramfs; cannot put it back byte for byte (instead: update-initramfs -u -k 6.1.0-test)");
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

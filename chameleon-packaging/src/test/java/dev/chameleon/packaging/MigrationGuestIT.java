package dev.chameleon.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * Migration readiness for real (issue 18): a Debian 12 guest under QEMU (TCG) set up on
 * VMware-like hardware (VMware SMBIOS, pvscsi disk, vmxnet3 NIC, an initramfs built with
 * {@code MODULES=dep} there, so without virtio drivers, fstab by device name) is found not ready
 * for KVM by {@code chameleon readiness --target kvm}, with the missing virtio drivers and the
 * fstab line as reasons; {@code chameleon apply} (the pack's {@code migration-to-kvm} profile, {@code --only initramfs:*})
 * rebuilds the initramfs with them; the same disk then boots on virtio-blk with the initramfs the
 * agent built (read out of the disk image by the host) and readiness finds no driver missing.
 * fstab is rewritten to {@code LABEL=} by the test as the operator's step: the pack does not fix
 * fstab (docs/hardware.md). {@code vm/migrate-guest.sh} drives both boots; the Debian root is the
 * one {@code vm/deb-guest.sh} caches (DebGuestIT runs first; without it this test fails).
 */
class MigrationGuestIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(value = 32, unit = TimeUnit.MINUTES)   // two boots under TCG; the script's own bound is 30 min
    void vmwareGuestIsNotReadyForKvmTheAgentFixesItAndTheDiskBootsOnVirtio() throws Exception {
        String deb = System.getProperty("chameleon.deb");
        assertThat(deb).as("system property chameleon.deb (run through 'mvn verify')").isNotNull();
        Path repo = Path.of(System.getProperty("chameleon.repo", ".."));
        Path cache = Path.of(System.getenv().getOrDefault("CHAMELEON_VM_CACHE", "/var/cache/chameleon-vm")).resolve("deb-guest");
        try (Stream<Path> s = Files.isDirectory(cache) ? Files.list(cache) : Stream.empty()) {
            assertThat(s.anyMatch(p -> p.getFileName().toString().matches("rootfs-[0-9a-f]+\\.tar")))
                    .as("the Debian root of vm/deb-guest.sh (DebGuestIT builds it) in " + cache + "; run vm/deb-guest.sh once first")
                    .isTrue();
        }
        Path out = Files.createTempDirectory("chameleon-migrate-guest");
        DebPackageIT.Proc run = DebPackageIT.Proc.run(List.of("bash", repo.resolve("vm/migrate-guest.sh").toString(), deb,
                out.toString()), 1800);
        String report = run.out();
        assertThat(run.code()).as("vm/migrate-guest.sh:\n" + report).isZero();

        Map<String, Map<String, String>> steps = new LinkedHashMap<>();
        Map<String, JsonNode> json = new LinkedHashMap<>();
        for (String line : report.split("\n")) {
            if (line.startsWith("MIG-JSON ")) {
                String[] p = line.split(" ", 3);
                json.put(p[1], JSON.readTree(p[2]));
            } else if (line.startsWith("MIG ")) {
                String[] p = line.substring("MIG ".length()).split(" ");
                Map<String, String> kv = new LinkedHashMap<>();
                for (int i = 1; i < p.length; i++) {
                    int eq = p[i].indexOf('=');
                    if (eq > 0) kv.put(p[i].substring(0, eq), p[i].substring(eq + 1));
                }
                steps.merge(p[0] + (p[0].equals("booted") ? "-" + kv.get("stage") : ""), kv, (a, b) -> b);
            }
        }
        assertThat(steps).as(report).containsKeys("booted-vmware", "install", "vmware-initramfs", "readiness-before", "apply",
                "operator-fstab", "readiness-after-apply", "extracted", "booted-kvm", "readiness-on-kvm", "end");

        // Boot 1: VMware-like hardware, and the guest's own initramfs holds its driver and no virtio one.
        assertThat(steps.get("booted-vmware")).as(report).containsEntry("vendor", "VMware__Inc.").containsEntry("root", "/dev/sda")
                .containsEntry("nic", "vmxnet3").containsEntry("storage", "vmw_pvscsi");
        assertThat(steps.get("install")).as(report).containsEntry("rc", "0");
        assertThat(steps.get("vmware-initramfs")).as(report).containsEntry("rc", "0").containsEntry("virtio_blk", "0")
                .containsEntry("virtio_net", "0").containsEntry("virtio_scsi", "0").containsEntry("vmw_pvscsi", "1");

        // Not ready for KVM, with the reasons: the missing virtio drivers and fstab by device name.
        assertThat(steps.get("readiness-before")).as(report).containsEntry("rc", "3");
        JsonNode before = json.get("readiness-before");
        assertThat(before.path("target").asText()).isEqualTo("kvm");
        JsonNode drivers = finding(before, "initramfs.drivers");
        assertThat(drivers.path("status").asText()).as(before.toString()).isEqualTo("fail");
        assertThat(drivers.path("found").asText()).as(before.toString()).contains("virtio_blk", "virtio_net", "virtio_scsi");
        JsonNode fstab = finding(before, "fstab.stable-ids");
        assertThat(fstab.path("status").asText()).as(before.toString()).isEqualTo("fail");
        assertThat(fstab.path("evidence").toString()).as(before.toString()).contains("/etc/fstab:1: /dev/sda / ext4");

        // The agent applies the pack's fix: update-initramfs with the virtio drivers.
        assertThat(steps.get("apply")).as(report).containsEntry("rc", "0").containsEntry("virtio_blk", "1")
                .containsEntry("virtio_net", "1").containsEntry("virtio_scsi", "1").containsEntry("virtio_pci", "1")
                .containsEntry("listed", "1");
        JsonNode after = json.get("readiness-after-apply");
        assertThat(finding(after, "initramfs.drivers").path("status").asText()).as(after.toString()).isEqualTo("pass");
        assertThat(finding(after, "fstab.stable-ids").path("status").asText()).as(after.toString()).isEqualTo("pass");

        // Boot 2: the same disk on virtio hardware, booted with the initramfs the agent built.
        assertThat(steps.get("extracted").get("sha")).as(report).isNotEqualTo(steps.get("extracted").get("stock_sha"));
        assertThat(steps.get("booted-kvm")).as(report).containsEntry("root", "/dev/vda").containsEntry("virtio_blk", "loaded")
                .containsEntry("nic", "virtio_net").containsEntry("cmdline_initrd_sha", steps.get("extracted").get("sha"));
        assertThat(steps.get("booted-kvm").get("vendor")).as(report).doesNotContain("VMware");
        JsonNode onKvm = json.get("readiness-on-kvm");
        assertThat(finding(onKvm, "initramfs.drivers").path("status").asText()).as(onKvm.toString()).isEqualTo("pass");
        assertThat(finding(onKvm, "fstab.stable-ids").path("status").asText()).as(onKvm.toString()).isEqualTo("pass");
    }

    private static JsonNode finding(JsonNode readiness, String check) {
        for (JsonNode f : readiness.path("findings")) {
            if (f.path("check").asText().equals(check)) return f;
        }
        throw new AssertionError("no finding " + check + " in " + readiness);
    }
}

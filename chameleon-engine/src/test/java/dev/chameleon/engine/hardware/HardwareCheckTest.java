package dev.chameleon.engine.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.CannedCommandRunner;
import dev.chameleon.host.Host;
import dev.chameleon.host.SysRoot;
import dev.chameleon.model.FactSet;
import dev.chameleon.policy.HardwareProfile;
import dev.chameleon.policy.HardwareProfileParser;
import dev.chameleon.policy.PolicyError;
import dev.chameleon.sensors.SensorSuite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link HardwareCheck} against machines captured from QEMU guests and the shared platform fixtures. */
class HardwareCheckTest {
    @TempDir
    Path tmp;

    static Path repo() {
        Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve("chameleon-sensors")) ? here : here.getParent();
    }

    static Path machine(String name) {
        return repo().resolve("chameleon-sensors/src/test/machines").resolve(name);
    }

    static Path fixture(String name) {
        return Path.of(System.getProperty("chameleon.fixtures", repo().resolve("../shared/fixtures").toString()), "platform", name);
    }

    static HardwareCheck.Report check(String profile, Host host) {
        FactSet facts = SensorSuite.standard().collect(host);
        return HardwareCheck.check(HardwareProfiles.builtin().get(profile), facts, host.root());
    }

    /** check name → status word, in order. */
    static Map<String, String> statuses(HardwareCheck.Report r) {
        Map<String, String> m = new LinkedHashMap<>();
        r.findings().forEach(f -> m.put(f.check(), f.status().word()));
        return m;
    }

    static Finding finding(HardwareCheck.Report r, String check) {
        return r.findings().stream().filter(f -> f.check().equals(check)).findFirst().orElseThrow();
    }

    @Test
    void theVmwareGuestWithAnE1000IsToldToUseVmxnet3InVmxKeys() {
        HardwareCheck.Report r = check("database", Host.fixture(machine("qemu-pc-vmware")));
        assertThat(r.platform()).contains("vmware");
        assertThat(statuses(r)).containsExactly(Map.entry("nic.model", "fail"), Map.entry("nic.queues", "fail"),
                Map.entry("disk.model", "pass"), Map.entry("cpu.count", "fail"), Map.entry("cpu.flags", "fail"),
                Map.entry("memory.size", "fail"), Map.entry("memory.hugepages", "unknown"));
        Finding nic = finding(r, "nic.model");
        assertThat(nic.found()).isEqualTo("not paravirtual: eth0 (e1000)");
        assertThat(nic.evidence()).containsExactly("nics.eth0.driver = e1000 (/sys/class/net/eth0/device/driver)",
                "nics.eth1.driver = vmxnet3 (/sys/class/net/eth1/device/driver)");
        assertThat(nic.fix()).isEqualTo("ethernet0.virtualDev = \"vmxnet3\"");
        assertThat(finding(r, "nic.queues").found()).isEqualTo("too few: eth0 (1 rx, 1 tx)");
        assertThat(finding(r, "cpu.count").fix()).isEqualTo("numvcpus = \"4\"");
        assertThat(finding(r, "cpu.flags").found()).isEqualTo("missing aes, avx2");
        assertThat(finding(r, "memory.size").fix()).isEqualTo("memSize = \"16384\"");
        assertThat(r.hasFailures()).isTrue();
    }

    @Test
    void theQemuGuestWithNvmeAhciAndE1000eGetsLibvirtFragments() {
        HardwareCheck.Report r = check("general", Host.fixture(machine("qemu-q35-nvme-ahci-e1000e")));
        assertThat(r.platform()).contains("kvm");
        assertThat(statuses(r)).containsExactly(Map.entry("nic.model", "fail"), Map.entry("disk.model", "fail"),
                Map.entry("cpu.count", "fail"), Map.entry("memory.size", "fail"));
        assertThat(finding(r, "nic.model").found()).isEqualTo("not paravirtual: eth0 (e1000e)");
        assertThat(finding(r, "nic.model").fix()).contains("<model type='virtio'/>");
        assertThat(finding(r, "disk.model").found()).isEqualTo("not paravirtual: nvme0n1 (nvme), sda (ahci)");
        assertThat(finding(r, "disk.model").fix()).contains("bus='virtio'");
        assertThat(finding(r, "cpu.count").fix()).isEqualTo("<vcpu placement='static'>2</vcpu>");
        assertThat(finding(r, "memory.size").found()).isEqualTo("960 MiB");
    }

    @Test
    void theVirtioGuestHasNoNicOrDiskGap() {
        HardwareCheck.Report r = check("database", Host.fixture(machine("qemu-q35-virtio")));
        assertThat(statuses(r)).containsExactly(Map.entry("nic.model", "pass"), Map.entry("nic.queues", "fail"),
                Map.entry("disk.model", "pass"), Map.entry("cpu.count", "pass"), Map.entry("cpu.flags", "fail"),
                Map.entry("memory.size", "fail"), Map.entry("memory.hugepages", "unknown"));
        assertThat(finding(r, "disk.model").evidence()).containsExactly(
                "disks.sda.driver = virtio_scsi (/sys/block/sda/device, walking up)",
                "disks.vda.driver = virtio_blk (/sys/block/vda/device, walking up)");
        assertThat(finding(r, "nic.queues").fix()).isEqualTo("<interface type='network'><model type='virtio'/><driver name='vhost' queues='2'/></interface>");
    }

    @Test
    void aGpuComputeProfileOnAVirtioGuestWantsAGpuTpmAndSecureBoot() {
        HardwareCheck.Report r = check("gpu-compute", Host.fixture(machine("qemu-q35-virtio")));
        assertThat(finding(r, "gpu.passthrough").status()).isEqualTo(Finding.Status.FAIL);
        assertThat(finding(r, "gpu.passthrough").fix()).startsWith("<hostdev mode='subsystem' type='pci'");
        assertThat(finding(r, "tpm").status()).isEqualTo(Finding.Status.FAIL);
        assertThat(finding(r, "tpm").fix()).isEqualTo("<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>");
        assertThat(finding(r, "secureBoot").status()).isEqualTo(Finding.Status.FAIL);
        assertThat(finding(r, "secureBoot").found()).isEqualTo("BIOS boot (no UEFI)");
    }

    @Test
    void eachCloudAndHypervisorFixtureGetsItsOwnKindOfFix() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty-root"));
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("salt-ec2-nitro-m5", "aws");
        cases.put("dmidecode_collection-azure", "azure");
        cases.put("virt-what-google-cloud", "gcp");
        cases.put("glpi-agent-rhel-6.2-vmware-2vcpus", "vmware");
        cases.put("glpi-agent-dmidecode-hyperv-2019-gen2-uefi", "hyperv");
        cases.put("virt-what-rhel5-xen-domU-hvm", "xen");
        Map<String, String> expectedFix = Map.of(
                "aws", "An instance size with at least 4 vCPUs (m7i: 2 per size step, m7i.2xlarge = 8)",
                "azure", "A size with at least 4 vCPUs (Dsv5: D4s_v5)",
                "gcp", "A machine type with at least 4 vCPUs (n2-standard-4)",
                "vmware", "numvcpus = \"4\"",
                "hyperv", "Set-VMProcessor -VMName VM -Count 4",
                "xen", "vcpus = 4");
        List<PolicyError> errors = new ArrayList<>();
        HardwareProfile fourCpus = HardwareProfileParser.parse("four.yaml", """
                apiVersion: chameleon/v1
                kind: HardwareProfile
                metadata: {name: four}
                spec: {cpu: {minCount: 4}}
                """, errors).get(0);
        assertThat(errors).isEmpty();
        for (var c : cases.entrySet()) {
            Path d = fixture(c.getKey());
            assertThat(d).as(c.getKey()).isDirectory();
            Path root = Files.isDirectory(d.resolve("root")) ? d.resolve("root") : empty;
            Host host = new Host(new SysRoot(root), new CannedCommandRunner(d.resolve("commands")));
            FactSet facts = SensorSuite.standard().collect(host);
            HardwareCheck.Report r = HardwareCheck.check(fourCpus, facts, host.root());
            assertThat(r.platform()).as(c.getKey()).contains(c.getValue());
            Finding cpu = finding(r, "cpu.count");
            assertThat(cpu.status()).as(c.getKey()).isNotEqualTo(Finding.Status.PASS);
            assertThat(cpu.fix()).as(c.getKey()).isEqualTo(expectedFix.get(c.getValue()));
        }
    }

    @Test
    void onAnUnknownPlatformTheGapIsStillReportedWithoutAFix() {
        HardwareCheck.Report r = check("general", Host.fixture(fixture("virt-what-baremetal")));
        assertThat(r.platform()).isEmpty();
        assertThat(r.findings()).allSatisfy(f -> {
            if (f.status() != Finding.Status.PASS) {
                assertThat(f.fix()).startsWith("no fix known: the platform (hypervisor none, cloud ");
            }
        });
        assertThat(r.toMap()).containsKeys("profile", "platform", "findings", "summary");
    }

    @Test
    void everyShippedProfileParsesAndEveryPlatformHasEveryFixTheChecksAsk() {
        assertThat(HardwareProfiles.builtin()).containsOnlyKeys(HardwareProfiles.BUILTIN);
        List<String> checks = List.of("nic.model", "nic.queues", "disk.model", "cpu.count", "cpu.flags", "memory.size",
                "gpu.passthrough", "tpm");
        for (String p : Platforms.NAMES) {
            assertThat(Platforms.get(p).orElseThrow().fixes()).as(p).containsKeys(checks.toArray(String[]::new));
        }
        assertThat(Platforms.NAMES).containsExactly("kvm", "vmware", "hyperv", "xen", "aws", "azure", "gcp");
    }
}

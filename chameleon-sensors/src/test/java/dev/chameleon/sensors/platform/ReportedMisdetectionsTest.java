package dev.chameleon.sensors.platform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.Host;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reported misdetections whose right answer is "not X" rather than one value (so not a fixture
 * with an expected.yaml), and the other side of rules the report fixtures in
 * {@code src/test/resources/platform-reports} pin. Each test names its report.
 */
class ReportedMisdetectionsTest {
    @TempDir
    Path tmp;

    void file(String path, String content) throws IOException {
        Path p = tmp.resolve("root").resolve(path.substring(1));
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
    }

    void command(String name, String out) throws IOException {
        Files.createDirectories(tmp.resolve("commands"));
        Files.writeString(tmp.resolve("commands").resolve(name), out);
    }

    Resolver.Answer detect() throws IOException {
        Files.createDirectories(tmp.resolve("root"));
        Files.createDirectories(tmp.resolve("commands"));
        return new PlatformSensor().detect(Host.fixture(tmp));
    }

    /**
     * Alibaba Cloud bare metal keeps the vendor but not the ECS product name
     * (https://github.com/systemd/systemd/pull/43347, "Bare-metal sys_vendor=Alibaba Cloud: not
     * misreported"): the cloud, and no claim of KVM.
     */
    @Test
    void alibabaBareMetalIsNotTakenForAnEcsVm() throws IOException {
        file("/sys/class/dmi/id/sys_vendor", "Alibaba Cloud\n");
        command("uname-m", "aarch64\n");
        Resolver.Answer a = detect();
        assertThat(a.cloud()).isEqualTo("alibaba");
        assertThat(a.hypervisor()).isNotEqualTo("kvm");
    }

    /**
     * The GCE strings alone no longer say KVM (bare metal has them too,
     * https://github.com/systemd/systemd/pull/38125), but a GCE VM still shows KVM through CPUID
     * and is kvm, vmm gce.
     */
    @Test
    void aGceVmIsStillKvmOnGce() throws IOException {
        file("/sys/class/dmi/id/sys_vendor", "Google\n");
        file("/sys/class/dmi/id/product_name", "Google Compute Engine\n");
        command("uname-m", "x86_64\n");
        command("virt-what-cpuid-helper", "KVMKVMKVM\n");
        Resolver.Answer a = detect();
        assertThat(a.hypervisor()).isEqualTo("kvm");
        assertThat(a.vmm()).isEqualTo("gce");
        assertThat(a.cloud()).isEqualTo("gcp");
    }

    /**
     * VirtualBox shows its board vendor also when it presents the Hyper-V interface
     * ("Microsoft Hv", its Hyper-V paravirtualization provider): VirtualBox, not Hyper-V
     * (https://github.com/systemd/systemd/issues/13429 for the board vendor; the provider is the
     * other interface VirtualBox lends, listed in sharedInterfaces).
     */
    @Test
    void virtualBoxWithItsHyperVProviderIsVirtualBox() throws IOException {
        file("/sys/class/dmi/id/sys_vendor", "LENOVO\n");
        file("/sys/class/dmi/id/product_name", "20N2S00600\n");
        file("/sys/class/dmi/id/board_vendor", "Oracle Corporation\n");
        command("uname-m", "x86_64\n");
        command("virt-what-cpuid-helper", "Microsoft Hv\n");
        Resolver.Answer a = detect();
        assertThat(a.hypervisor()).isEqualTo("virtualbox");
    }

    /**
     * The interface rule needs a firmware clue: "Microsoft Hv" alone (Azure, Hyper-V without
     * readable DMI) stays Hyper-V, and KVMKVMKVM alone stays KVM.
     */
    @Test
    void anInterfaceWithNothingElseNamesItsOwnHypervisor() throws IOException {
        command("uname-m", "x86_64\n");
        command("virt-what-cpuid-helper", "Microsoft Hv\n");
        assertThat(detect().hypervisor()).isEqualTo("hyperv");
        command("virt-what-cpuid-helper", "KVMKVMKVM\n");
        assertThat(detect().hypervisor()).isEqualTo("kvm");
    }

    /**
     * An EC2 Xen-era instance and a Nitro one keep the hypervisor values policies are written
     * against (xen, kvm); the product goes to vmm and the provider to cloud, where systemd's
     * renamed "amazon" broke callers (https://github.com/storaged-project/blivet/pull/1207,
     * https://github.com/systemd/systemd/pull/17315).
     */
    @Test
    void amazonIsACloudAndNitroAVmmNotAHypervisor() throws IOException {
        file("/sys/class/dmi/id/sys_vendor", "Xen\n");
        file("/sys/class/dmi/id/product_name", "HVM domU\n");
        file("/sys/class/dmi/id/bios_version", "4.11.amazon\n");
        command("uname-m", "x86_64\n");
        command("virt-what-cpuid-helper", "XenVMMXenVMM\n");
        Resolver.Answer xen = detect();
        assertThat(xen.hypervisor()).isEqualTo("xen");
        assertThat(xen.cloud()).isEqualTo("aws");
        assertThat(xen.vmm()).isNull();
    }
}

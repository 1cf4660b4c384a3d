package dev.chameleon.sensors.platform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.Host;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPUID signature read from {@code /dev/cpu/0/cpuid} when virt-what's helper is not
 * installed. A fixture tree cannot hold the kernel's character device, so the tests lay out a
 * sparse regular file the same way (the file offset is the leaf; 16 bytes EAX EBX ECX EDX); the live read of the
 * real device is what {@code chameleon detect} shows on this build machine (KVMKVMKVM).
 */
class CpuidDeviceTest {
    @TempDir
    Path tmp;

    private static final String X86_GUEST_CPUINFO = """
            processor\t: 0
            vendor_id\t: AuthenticAMD
            model name\t: QEMU Virtual CPU version 2.5+
            flags\t\t: fpu de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 syscall nx lm hypervisor
            """;

    private void file(String path, String content) throws IOException {
        Path p = tmp.resolve("root").resolve(path.substring(1));
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
    }

    /** Writes leaf 1 (ECX bit 31 as given) and leaf 0x40000000 with the signature, sparse. */
    private void cpuid(boolean hypervisorBit, String signature) throws IOException {
        cpuid(hypervisorBit, signature, null);
    }

    /** As above, and {@code behind} at leaf 0x40000100 when not null. */
    private void cpuid(boolean hypervisorBit, String signature, String behind) throws IOException {
        Path p = tmp.resolve("root/dev/cpu/0/cpuid");
        Files.createDirectories(p.getParent());
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            ByteBuffer leaf1 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            leaf1.putInt(0x000806F8).putInt(0).putInt(hypervisorBit ? 0x8000_0000 : 0).putInt(0);
            f.seek(1);
            f.write(leaf1.array());
            if (signature != null) {
                hypervisorLeaf(f, 0x4000_0000L, signature);
            }
            if (behind != null) {
                hypervisorLeaf(f, 0x4000_0100L, behind);
            }
        }
    }

    /** A hypervisor leaf at {@code leaf}: EAX the highest leaf of its block, EBX ECX EDX the signature. */
    private static void hypervisorLeaf(RandomAccessFile f, long leaf, String signature) throws IOException {
        byte[] hv = new byte[16];
        ByteBuffer.wrap(hv).order(ByteOrder.LITTLE_ENDIAN).putInt((int) leaf + 1);
        byte[] sig = signature.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(sig, 0, hv, 4, Math.min(12, sig.length));
        f.seek(leaf);
        f.write(hv);
    }

    private Resolver.Answer detect() throws IOException {
        Files.createDirectories(tmp.resolve("root"));
        Files.createDirectories(tmp.resolve("commands"));
        Files.writeString(tmp.resolve("commands/uname-m"), "x86_64\n");
        return new PlatformSensor().detect(Host.fixture(tmp));
    }

    @Test
    void tcgSignatureUnderQemuFirmwareIsQemuNotKvm() throws IOException {
        file("/proc/cpuinfo", X86_GUEST_CPUINFO);
        file("/sys/class/dmi/id/sys_vendor", "QEMU\n");
        file("/sys/class/dmi/id/bios_vendor", "SeaBIOS\n");
        cpuid(true, "TCGTCGTCGTCG");
        Resolver.Answer a = detect();
        assertThat(a.hypervisor()).isEqualTo("qemu");
        assertThat(a.evidence()).anySatisfy(e -> {
            assertThat(e.signal()).isEqualTo("cpuid.signature");
            assertThat(e.value()).isEqualTo("TCGTCGTCGTCG");
            assertThat(e.source()).isEqualTo("/dev/cpu/0/cpuid (leaf 0x40000000)");
        });
    }

    @Test
    void kvmSignatureIsKvm() throws IOException {
        file("/proc/cpuinfo", X86_GUEST_CPUINFO);
        file("/sys/class/dmi/id/sys_vendor", "QEMU\n");
        cpuid(true, "KVMKVMKVM\0\0\0");
        Resolver.Answer a = detect();
        assertThat(a.hypervisor()).isEqualTo("kvm");
        assertThat(a.evidence()).anySatisfy(e -> assertThat(e.value()).isEqualTo("KVMKVMKVM"));
    }

    @Test
    void clearHypervisorBitReadsNoSignature() throws IOException {
        file("/proc/cpuinfo", X86_GUEST_CPUINFO.replace(" hypervisor", "").replace("QEMU Virtual CPU version 2.5+", "Intel(R) Xeon(R) Gold 6248"));
        cpuid(false, "TCGTCGTCGTCG");
        Resolver.Answer a = detect();
        assertThat(a.evidence()).noneSatisfy(e -> assertThat(e.value()).isEqualTo("TCGTCGTCGTCG"));
        assertThat(a.evidence()).anySatisfy(e -> assertThat(e.value()).startsWith("hypervisor bit clear"));
        assertThat(a.hypervisor()).isEqualTo("none");
    }

    @Test
    void truncatedDeviceGivesNoClueAndNoFailure() throws IOException {
        file("/proc/cpuinfo", X86_GUEST_CPUINFO);
        Path p = tmp.resolve("root/dev/cpu/0/cpuid");
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[10]);   // leaf 1 (offset 1) cut short at 9 of 16 bytes
        Resolver.Answer a = detect();
        assertThat(a.evidence()).noneSatisfy(e -> assertThat(e.signal()).isEqualTo("cpuid.signature"));
        assertThat(a.evidence()).anySatisfy(e -> {
            assertThat(e.signal()).isEqualTo("cpuid.device");
            assertThat(e.value()).contains("no 16-byte answer");
            assertThat(e.supports()).isEqualTo("nothing");
        });
        Files.delete(p);
        Resolver.Answer without = detect();
        assertThat(a.hypervisor()).isEqualTo(without.hypervisor());
        assertThat(a.confidence()).isEqualTo(without.confidence());
    }

    @Test
    void unknownSignatureHintsEmulationOnly() throws IOException {
        file("/proc/cpuinfo", X86_GUEST_CPUINFO);
        file("/sys/class/dmi/id/sys_vendor", "QEMU\n");
        cpuid(true, "\u0001\u0002garbage");
        Resolver.Answer a = detect();
        assertThat(a.evidence()).anySatisfy(e -> {
            assertThat(e.signal()).isEqualTo("cpuid.signature");
            assertThat(e.value()).isEqualTo("garbage (not a known signature)");
        });
        assertThat(a.hypervisor()).isEqualTo("qemu");
    }

    @Test
    void signatureDropsNulsAndNonPrintables() {
        byte[] leaf = new byte[16];
        System.arraycopy("Microsoft Hv".getBytes(StandardCharsets.US_ASCII), 0, leaf, 4, 12);
        assertThat(CpuSignals.signature(leaf)).isEqualTo("Microsoft Hv");
        leaf = new byte[16];
        leaf[4] = (byte) 0xFF;
        leaf[5] = 'V';
        assertThat(CpuSignals.signature(leaf)).isEqualTo("V");
    }

    /**
     * KVM with Hyper-V enlightenments (QEMU {@code -cpu host,hv_relaxed}) answers leaf 0x40000000
     * with {@code Microsoft Hv} and keeps {@code KVMKVMKVM} at 0x40000100: systemd-detect-virt
     * answered microsoft (https://github.com/systemd/systemd/issues/17894, Synology VMM, and
     * https://github.com/systemd/systemd/issues/28001). Without any firmware clue (Synology's
     * strings are not in the report) the leaf behind it decides.
     */
    @Test
    void kvmWithHyperVEnlightenmentsIsFoundBehindMicrosoftHv() throws IOException {
        file("/proc/cpuinfo", X86_GUEST_CPUINFO);
        cpuid(true, "Microsoft Hv", "KVMKVMKVM");
        Resolver.Answer a = detect();
        assertThat(a.hypervisor()).isEqualTo("kvm");
        assertThat(a.evidence()).anySatisfy(e -> {
            assertThat(e.signal()).isEqualTo("cpuid.kvm-leaf");
            assertThat(e.value()).isEqualTo("KVMKVMKVM (behind Microsoft Hv)");
            assertThat(e.source()).isEqualTo("/dev/cpu/0/cpuid (leaf 0x40000100)");
        });
        assertThat(a.evidence()).anySatisfy(e -> {
            assertThat(e.signal()).isEqualTo("resolver.interface");
            assertThat(e.value()).contains("Microsoft Hv").contains("hyperv interface, which kvm also presents");
        });
        assertThat(a.evidence()).noneSatisfy(e -> assertThat(e.supports()).isEqualTo("hypervisor=hyperv"));
    }

    /** Real Hyper-V: its firmware says so and nothing sits at 0x40000100. */
    @Test
    void hyperVWithItsOwnFirmwareStaysHyperV() throws IOException {
        file("/proc/cpuinfo", X86_GUEST_CPUINFO.replace("QEMU Virtual CPU version 2.5+", "Intel(R) Xeon(R) Platinum 8272CL CPU @ 2.60GHz"));
        file("/sys/class/dmi/id/sys_vendor", "Microsoft Corporation\n");
        file("/sys/class/dmi/id/product_name", "Virtual Machine\n");
        cpuid(true, "Microsoft Hv");
        Resolver.Answer a = detect();
        assertThat(a.hypervisor()).isEqualTo("hyperv");
        assertThat(a.evidence()).noneSatisfy(e -> assertThat(e.signal()).isEqualTo("resolver.interface"));
    }
}

package dev.chameleon.sensors.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure parsers, fed with text blocks. */
class ParsersTest {
    @Test
    void dmidecodeSectionsWithTabs() {
        var d = DmiParsers.parseDmidecode("""
                # dmidecode 3.1
                Handle 0x0000, DMI type 0, 24 bytes
                BIOS Information
                \tVendor: Amazon EC2
                \tVersion: 1.0
                \tCharacteristics:
                \t\tPCI is supported
                \t\tSystem is a virtual machine
                \tBIOS Revision: 1.0

                Handle 0x0001, DMI type 1, 27 bytes
                System Information
                \tManufacturer: Amazon EC2
                \tProduct Name: c5n.large
                \tSerial Number: ec2bb7b6-1a70-8bdf-9799-394e5287a39c
                \tUUID: EC2BB7B6-1A70-8BDF-9799-394E5287A39C

                Handle 0x0002, DMI type 2, 15 bytes
                Base Board Information
                \tManufacturer: Amazon EC2
                \tProduct Name: Not Specified
                \tAsset Tag: i-065fb3291dba0388a

                Handle 0x0003, DMI type 3, 25 bytes
                Chassis Information
                \tManufacturer: Amazon EC2
                \tAsset Tag: Amazon EC2

                Handle 0x0004, DMI type 4, 48 bytes
                Processor Information
                \tManufacturer: Intel(R) Corporation
                """);
        assertThat(d.sections()).containsExactly("bios", "system", "board", "chassis", "other");
        assertThat(d.fields()).containsEntry("bios_vendor", "Amazon EC2")
                .containsEntry("sys_vendor", "Amazon EC2")
                .containsEntry("product_name", "c5n.large")
                .containsEntry("product_uuid", "EC2BB7B6-1A70-8BDF-9799-394E5287A39C")
                .containsEntry("board_asset_tag", "i-065fb3291dba0388a")
                .containsEntry("chassis_asset_tag", "Amazon EC2");
        assertThat(d.fields()).doesNotContainValue("Intel(R) Corporation");
        assertThat(d.biosCharacteristics()).contains("System is a virtual machine");
    }

    @Test
    void dmidecodeWithSpacesAndNoIndentation() {
        var spaces = DmiParsers.parseDmidecode("""
                BIOS Information
                    Vendor: Amazon EC2
                    Characteristics:
                        System is a virtual machine
                """);
        assertThat(spaces.fields()).containsEntry("bios_vendor", "Amazon EC2");
        assertThat(spaces.biosCharacteristics()).containsExactly("System is a virtual machine");

        var flat = DmiParsers.parseDmidecode("""
                System Information
                Manufacturer: Dell Inc.
                Product Name: PowerEdge R720
                """);
        assertThat(flat.fields()).containsEntry("sys_vendor", "Dell Inc.").containsEntry("product_name", "PowerEdge R720");
    }

    @Test
    void dmidecodeOldFormat() {
        var d = DmiParsers.parseDmidecode("""
                Handle 0x0001
                \tDMI type 1, 27 bytes.
                \tSystem Information Block
                \t\tVendor: VMware, Inc.
                \t\tProduct: VMware Virtual Platform
                Handle 0x0002
                \tDMI type 2, 15 bytes.
                \tBoard Information Block
                \t\tVendor: Intel Corporation
                """);
        assertThat(d.fields()).containsEntry("sys_vendor", "VMware, Inc.")
                .containsEntry("product_name", "VMware Virtual Platform")
                .containsEntry("board_vendor", "Intel Corporation");
    }

    @Test
    void dmidecodeWithoutSmbios() {
        var d = DmiParsers.parseDmidecode("""
                # dmidecode 3.1
                Scanning /dev/mem for entry point.
                # No SMBIOS nor DMI entry point found, sorry.
                """);
        assertThat(d.isEmpty()).isTrue();
        assertThat(DmiParsers.parseDmidecode(null).isEmpty()).isTrue();
    }

    @Test
    void rawSmbiosType1() {
        byte[] head = {1, 27, 1, 0, 1, 2, 0, 3};
        byte[] pad = new byte[27 - head.length];
        byte[] strings = "Google\0Google Compute Engine\0GoogleCloud-1234\0\0".getBytes(StandardCharsets.ISO_8859_1);
        byte[] raw = new byte[27 + strings.length];
        System.arraycopy(head, 0, raw, 0, head.length);
        System.arraycopy(pad, 0, raw, head.length, pad.length);
        System.arraycopy(strings, 0, raw, 27, strings.length);
        assertThat(DmiParsers.parseRawSystemEntry(raw))
                .containsEntry("sys_vendor", "Google")
                .containsEntry("product_name", "Google Compute Engine")
                .containsEntry("product_serial", "GoogleCloud-1234")
                .doesNotContainKey("product_version");
        assertThat(DmiParsers.parseRawSystemEntry(new byte[] {4, 2})).isEmpty();
    }

    @Test
    void cpuinfoFlagsAndFields() {
        var c = CpuParsers.parseCpuinfo("""
                processor\t: 0
                vendor_id\t: AuthenticAMD
                model name\t: AMD EPYC
                flags\t\t: fpu vme de pse hypervisor lahf_lm

                processor\t: 1
                vendor_id\t: AuthenticAMD
                flags\t\t: fpu vme
                """);
        assertThat(c.hasFlagsLine()).isTrue();
        assertThat(c.flags()).contains("hypervisor");
        assertThat(c.get("vendor_id")).isEqualTo("AuthenticAMD");
        assertThat(c.get("model name")).isEqualTo("AMD EPYC");

        var bare = CpuParsers.parseCpuinfo("fpu vme de pse tsc msr pae mce cx8 apic hypervisor lahf_lm\n");
        assertThat(bare.hasFlagsLine()).isTrue();
        assertThat(bare.flags()).contains("hypervisor");

        var arm = CpuParsers.parseCpuinfo("""
                processor\t: 0
                Features\t: fp asimd evtstrm
                CPU implementer\t: 0x41
                """);
        assertThat(arm.hasFlagsLine()).isFalse();
        assertThat(arm.fields()).containsKey("cpu implementer");
    }

    @Test
    void lscpuKeys() {
        var l = CpuParsers.parseLscpu("""
                Architecture:                            x86_64
                Vendor ID:                               AuthenticAMD
                Flags:                                   fpu vme hypervisor
                Hypervisor vendor:                       KVM
                Virtualization type:                     full
                """);
        assertThat(l).containsEntry("Hypervisor vendor", "KVM")
                .containsEntry("Virtualization type", "full")
                .containsEntry("Architecture", "x86_64");
    }

    @Test
    void s390SysinfoLevels() {
        String nested = """
                Manufacturer:         IBM
                LPAR Name:            L16
                VM00 Name:            rhel8-1
                VM00 Control Program: KVM/Linux
                VM01 Name:            OSHIFT5
                VM01 Control Program: z/VM    6.4.0
                """;
        assertThat(CpuParsers.parseSysinfoLevels(nested)).containsExactly("KVM/Linux", "z/VM    6.4.0");
        String lpar = """
                Manufacturer:         IBM
                LPAR Name:            R35LP37
                """;
        assertThat(CpuParsers.parseSysinfoLevels(lpar)).isEmpty();
        assertThat(CpuParsers.sysinfoHasLpar(lpar)).isTrue();
    }

    @Test
    void acpiHeader() {
        byte[] b = new byte[36];
        byte[] text = "APICH\0\0\0\u0006VFIRECKFCVMMADT".getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(text, 0, b, 0, text.length);
        b[9] = (byte) 0xd6; // checksum: not text
        var h = AcpiHeader.parse(b).orElseThrow();
        assertThat(h.signature()).isEqualTo("APIC");
        assertThat(h.oemId()).isEqualTo("FIRECK");
        assertThat(h.oemTableId()).isEqualTo("FCVMMADT");

        byte[] bochs = "DSDT\0\0\0\0\1\0BOCHS BXPCDSDT".getBytes(StandardCharsets.ISO_8859_1);
        var q = AcpiHeader.parse(bochs).orElseThrow();
        assertThat(q.oemId()).isEqualTo("BOCHS");
        assertThat(AcpiHeader.rawOemId(bochs)).isEqualTo("BOCHS ");
        assertThat(q.oemTableId()).isEqualTo("BXPCDSDT");

        assertThat(AcpiHeader.parse(new byte[10])).isEmpty();
        assertThat(AcpiHeader.parse(new byte[36])).isEmpty(); // NUL signature
    }

    @Test
    void cgroupPaths() {
        assertThat(ContainerParsers.cgroupPaths("""
                12:pids:/docker/ee6e3c05422f
                11:cpu,cpuacct:/system.slice/docker-8255e18a.scope
                0::/
                /lxc/lxc_container/
                """)).containsExactly("/docker/ee6e3c05422f", "/system.slice/docker-8255e18a.scope", "/", "/lxc/lxc_container/");
        assertThat(ContainerParsers.cgroupPaths("")).isEmpty();
    }

    @Test
    void environWithAndWithoutNuls() {
        List<String> known = List.of("lxc", "lxc-libvirt", "podman", "systemd-nspawn", "docker");
        assertThat(ContainerParsers.containerVar("PATH=/bin\0container=systemd-nspawn\0TERM=xterm\0", known))
                .contains("systemd-nspawn");
        assertThat(ContainerParsers.containerVar("PATH=/bin\0container=oci\0", known)).contains("oci");
        assertThat(ContainerParsers.containerVar("container=lxccontainer_ttys=/dev/pts/0 /dev/pts/1", known)).contains("lxc");
        assertThat(ContainerParsers.containerVar("PATH=/binTERM=xtermcontainer=podmanHOSTNAME=8a97c663f060", known))
                .contains("podman");
        assertThat(ContainerParsers.containerVar("container=lxc-libvirt", known)).contains("lxc-libvirt");
        assertThat(ContainerParsers.containerVar("container=zone", known)).contains("zone");
        assertThat(ContainerParsers.containerVar("PATH=/bin\0HOME=/root\0", known)).isEmpty();
        assertThat(ContainerParsers.containerVar("", known)).isEmpty();
        assertThat(ContainerParsers.hasVar("A=1\0KUBERNETES_SERVICE_HOST=10.0.0.1\0", "KUBERNETES_SERVICE_HOST")).isTrue();
    }

    @Test
    void statusFields() {
        var f = ContainerParsers.statusFields("""
                Name:\tcat
                envID:\t101
                VxID:\t0
                """);
        assertThat(f).containsEntry("envID", "101").containsEntry("VxID", "0");
    }

    @Test
    void pciIds() {
        assertThat(PciParsers.procBusPciIds("""
                0000\t80861237\t0\t               0
                0010\t80eebeef\t12\t        e0000008
                garbage
                """)).containsExactly("8086:1237", "80ee:beef");
        assertThat(PciParsers.sysfsId("0x15AD\n")).isEqualTo("15ad");
        assertThat(PciParsers.sysfsId("nonsense")).isEmpty();
    }

    @Test
    void matchSyntax() {
        assertThat(Match.parse("VMware, Inc.").test("  vmware, inc.\n")).isTrue();
        assertThat(Match.parse("e24cloud").test("e24cloudyday")).isFalse();
        assertThat(Match.parse("prefix:Parallels").test("Parallels Software International Inc.")).isTrue();
        assertThat(Match.parse("suffix:.brightbox.com").test("srv-abc.gb1.brightbox.com")).isTrue();
        assertThat(Match.parse("suffix:.brightbox.com").test("srv-abc.gb1.bobrightbox.com")).isFalse();
        assertThat(Match.parse("contains:amazon").test("4.2.amazon")).isTrue();
        assertThat(Match.parse("re:^[a-z0-9-]+\\.metal$").test("i3.metal")).isTrue();
    }
}

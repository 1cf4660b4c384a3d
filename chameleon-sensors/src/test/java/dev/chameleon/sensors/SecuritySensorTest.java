package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecuritySensorTest {
    @TempDir
    Path tmp;

    @Test
    void vulnerabilityStates() {
        assertThat(SecuritySensor.parseVulnerability("Not affected\n")).isEqualTo(Map.of("state", "not-affected", "detail", ""));
        assertThat(SecuritySensor.parseVulnerability("Mitigation: Retpolines; STIBP: disabled; RSB filling"))
                .isEqualTo(Map.of("state", "mitigated", "detail", "Retpolines; STIBP: disabled; RSB filling"));
        assertThat(SecuritySensor.parseVulnerability("Vulnerable: Safe RET, no microcode"))
                .isEqualTo(Map.of("state", "vulnerable", "detail", "Safe RET, no microcode"));
        assertThat(SecuritySensor.parseVulnerability("Vulnerable")).isEqualTo(Map.of("state", "vulnerable", "detail", ""));
        assertThat(SecuritySensor.parseVulnerability("KVM: Mitigation: VMX disabled"))
                .isEqualTo(Map.of("state", "mitigated", "detail", "KVM: Mitigation: VMX disabled"));
        assertThat(SecuritySensor.parseVulnerability("Processor vulnerable"))
                .isEqualTo(Map.of("state", "vulnerable", "detail", "Processor vulnerable"));
        assertThat(SecuritySensor.parseVulnerability("Unknown: Dependent on hypervisor status"))
                .isEqualTo(Map.of("state", "unknown", "detail", "Dependent on hypervisor status"));
        assertThat(SecuritySensor.parseVulnerability("Something new")).isEqualTo(Map.of("state", "unknown", "detail", "Something new"));
    }

    @Test
    void cmdlineMitigationsKeepOnlyTheRelevantSwitches() {
        assertThat(SecuritySensor.parseCmdlineMitigations("BOOT_IMAGE=/vmlinuz root=/dev/vda1 mitigations=off nosmt pti=on quiet\n"))
                .containsExactly(Map.entry("mitigations", "off"), Map.entry("nosmt", ""), Map.entry("pti", "on"));
    }

    @Test
    void efiBooleanIsFourAttributeBytesAndOneValue() {
        assertThat(SecuritySensor.parseEfiBoolean(new byte[] {6, 0, 0, 0, 1})).contains(true);
        assertThat(SecuritySensor.parseEfiBoolean(new byte[] {6, 0, 0, 0, 0})).contains(false);
        assertThat(SecuritySensor.parseEfiBoolean(new byte[] {6, 0})).isEmpty();
    }

    @Test
    void wholeTree() throws Exception {
        Tree t = new Tree(tmp)
                .file("/sys/devices/system/cpu/vulnerabilities/meltdown", "Not affected\n")
                .file("/sys/devices/system/cpu/vulnerabilities/spectre_v2", "Mitigation: Retpolines\n")
                .file("/sys/devices/system/cpu/smt/control", "on\n")
                .file("/sys/devices/system/cpu/smt/active", "1\n")
                .file("/sys/kernel/security/lockdown", "none [integrity] confidentiality\n")
                .file("/sys/kernel/security/lsm", "lockdown,capability,landlock,yama,apparmor")
                .file("/sys/module/apparmor/parameters/enabled", "Y\n")
                .file("/sys/kernel/security/apparmor/profiles", "/usr/sbin/cupsd (enforce)\nnvidia_modprobe (complain)\nlsb_release (enforce)\n")
                .bytes(SecuritySensor.SECURE_BOOT, new byte[] {6, 0, 0, 0, 1})
                .file("/proc/cmdline", "root=/dev/sda1 spectre_v2=retpoline\n");
        Map<String, Object> s = t.sense(new SecuritySensor());
        assertThat(s.get("vulnerabilities")).isEqualTo(Map.of(
                "meltdown", Map.of("state", "not-affected", "detail", ""),
                "spectre_v2", Map.of("state", "mitigated", "detail", "Retpolines")));
        assertThat(s.get("smt")).isEqualTo(Map.of("control", "on", "active", true));
        assertThat(s).containsEntry("lockdown", "integrity");
        assertThat(s.get("selinux")).isEqualTo(Map.of("mode", "disabled"));
        assertThat(s.get("apparmor")).isEqualTo(Map.of("enabled", true, "profiles", 3L, "enforce", 2L, "complain", 1L));
        assertThat(s.get("boot")).isEqualTo(Map.of("uefi", true, "secureBoot", true));
        assertThat(s.get("cmdlineMitigations")).isEqualTo(Map.of("spectre_v2", "retpoline"));
    }

    @Test
    void selinuxEnforcingAndUnknownStaysAbsent() throws Exception {
        assertThat(new Tree(tmp.resolve("a")).file("/sys/fs/selinux/enforce", "1").sense(new SecuritySensor()).get("selinux"))
                .isEqualTo(Map.of("mode", "enforcing"));
        // neither selinuxfs nor the LSM list is visible: the mode is not known, so the key is absent
        assertThat(new Tree(tmp.resolve("b")).dir("/sys/fs").sense(new SecuritySensor())).doesNotContainKeys("selinux", "boot");
    }
}

package dev.chameleon.cli.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VM suite's data and parsing, without booting anything: every scenario and machine file is
 * valid, bad files are refused with the file and the reason, and the console parser splits
 * scenarios and steps and leaves out what a step writes to the console itself.
 */
class VmSuiteFilesTest {
    @TempDir
    Path tmp;

    @Test
    void everyScenarioAndMachineFileIsValidAndTheBootsAreShared() throws IOException {
        List<VmScenario> all = VmSuite.scenarios(Set.of());
        assertThat(all).extracting(VmScenario::name).contains("vmware", "vmware-nvme", "hyperv", "azure", "qemu", "aws", "gcp",
                "oracle", "openstack", "xen", "hotplug", "drift", "crash");
        List<BootGroup> boots = BootGroup.of(all, VmSuite.resourceDir("vm/machines"));
        BootGroup shared = boots.stream().filter(b -> b.name().equals("qemu-virtio")).findFirst().orElseThrow();
        assertThat(shared.scenarios()).extracting(VmScenario::name).containsExactly("qemu", "drift", "crash", "hotplug");
        assertThat(shared.timeoutSeconds()).isEqualTo(shared.scenarios().stream().mapToInt(VmScenario::timeoutSeconds).sum());
        assertThat(shared.machine().qmp()).containsKeys("nic", "disk", "cpu");
        assertThat(boots).hasSize(all.size() - shared.scenarios().size() + 1);
    }

    @Test
    void aScenarioNamedThatDoesNotExistIsAnErrorNamingTheOthers() {
        assertThatThrownBy(() -> VmSuite.scenarios(Set.of("vmware", "nosuch")))
                .hasMessageContaining("no scenario file for [nosuch]").hasMessageContaining("vmware-nvme");
    }

    @Test
    void badScenarioFilesAreRefusedWithTheFileAndTheReason() throws IOException {
        assertRefused("a", "name: a\nmachine: m\nqemu: [-m, '512']\nsteps: [{name: s, run: x}]\n",
                "the machine's keys (qemu, diskMb, memoryMb, smp, kernelArgs, qmp) belong in vm/machines/m.yaml");
        assertRefused("b", "name: b\nqemu: [-netdev, 'user,id=n0']\nsteps: [{name: s, run: x}]\n",
                "user networking must have restrict=on");
        assertRefused("c", "name: c\nqemu: [-smp, '4']\nsteps: [{name: s, run: x}]\n", "qemu argument -smp is set by the harness");
        assertRefused("d", "name: d\nqmp: {nic: [{execute: human-monitor-command, arguments: {command-line: x}}]}\nsteps: [{name: s, run: x}]\n",
                "command human-monitor-command is not one of");
        assertRefused("e", "name: e\nqmp: {nic: [{execute: netdev_add, arguments: {type: tap, id: t}}]}\nsteps: [{name: s, run: x}]\n",
                "netdev_add must be type user with restrict: true");
        assertRefused("f", "name: f\nqmp: {d: [{execute: blockdev-add, arguments: {node-name: x, driver: raw, file: {driver: file, filename: /etc/passwd}}}]}\n"
                + "steps: [{name: s, run: x}]\n", "blockdev-add must use file: {driver: file, filename: '@HOTDISK@'}");
        assertRefused("g", "name: g\nfiles: {relative/path: x}\nsteps: [{name: s, run: x}]\n", "must be an absolute path");
        assertRefused("h", "name: h\nsmp: lots\nsteps: [{name: s, run: x}]\n", "smp 'lots' must look like 2 or 2,maxcpus=3");
        assertRefused("i", "name: i\nsteps: [{name: s, run: x}, {name: s, run: y}]\n", "step name 's' is used twice");
        assertRefused("j", "name: j\nsteps: [{name: s, run: x, expect: {jsn: {}}}]\n", "jsn");
    }

    private void assertRefused(String name, String yaml, String message) throws IOException {
        Path file = tmp.resolve(name + ".yaml");
        Files.writeString(file, yaml);
        assertThatThrownBy(() -> VmScenario.load(file)).as(yaml).hasMessageContaining(file.toString()).hasMessageContaining(message);
    }

    @Test
    void theConsoleIsSplitIntoScenariosAndStepsWithoutLiveAndMarkerLines() {
        ConsoleLog log = ConsoleLog.parse("""
                SeaBIOS noise\r
                CHAMELEON-VM-BOOTED uptime=4.50 kernel=6.1.0
                === SCENARIO hotplug BEGIN uptime=4.60 ===
                === STEP hotplug/nic BEGIN ===
                CHAMELEON-QMP nic
                ~live~ HOTPLUG nic device_seen=+30 ms
                CHAMELEON-HOTPLUG-DONE nic
                HOTPLUG nic device_seen=+30 ms
                === STEP hotplug/nic STDERR ===
                warning
                === STEP hotplug/nic END rc=0 took=1.25s ===
                === SCENARIO hotplug END uptime=9.10 ===
                CHAMELEON-VM-DONE rc=0 uptime=9.20
                """);
        ConsoleLog.StepOutput nic = log.steps().get("hotplug/nic");
        assertThat(nic.stdout()).isEqualTo("HOTPLUG nic device_seen=+30 ms");
        assertThat(nic.stderr()).isEqualTo("warning");
        assertThat(nic.exitCode()).isZero();
        assertThat(nic.seconds()).isEqualTo(1.25);
        assertThat(log.scenarioSeconds("hotplug")).isCloseTo(4.5, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(log.scenarioSeconds("other")).isEqualTo(-1);
        assertThat(log.doneExitCode()).contains(0);
    }

    @Test
    void diskPlaceholdersBecomeOneSparseFileEach() throws IOException {
        String arg = QemuGuest.disks("if=none,id=a,file=@DISK@ and file=@DISK2@ and again @DISK@", tmp, 8);
        assertThat(arg).isEqualTo("if=none,id=a,file=" + tmp.resolve("disk.img") + " and file=" + tmp.resolve("disk2.img")
                + " and again " + tmp.resolve("disk.img"));
        assertThat(Files.size(tmp.resolve("disk2.img"))).isEqualTo(8L * 1024 * 1024);
    }
}

package dev.chameleon.sensors.platform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.Host;
import dev.chameleon.sensors.SensorContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The repository's own captured machine, and the promise that a new platform is a data change. */
class CapturedMachineTest {
    static Path caseDir(String name) {
        Path p = Path.of("src/test/machines", name);
        return Files.isDirectory(p) ? p : Path.of(System.getProperty("chameleon.repo", "."), "chameleon-sensors/src/test/machines", name);
    }

    @Test
    void firecrackerDockerIsDockerOnFirecrackerOnKvm() {
        Resolver.Answer a = new PlatformSensor().detect(Host.fixture(caseDir("firecracker-docker")));
        assertThat(a.container()).isEqualTo("docker");
        assertThat(a.hypervisor()).isEqualTo("kvm");
        assertThat(a.vmm()).isEqualTo("firecracker");
        assertThat(a.cloud()).isEqualTo("unknown");
        assertThat(a.evidence()).anySatisfy(e -> assertThat(e.supports()).isEqualTo("container=docker"));
        assertThat(a.evidence()).anySatisfy(e -> assertThat(e.supports()).isEqualTo("hypervisor=kvm"));
        assertThat(a.evidence()).anySatisfy(e -> assertThat(e.supports()).isEqualTo("vmm=firecracker"));
        assertThat(a.evidence()).anySatisfy(e -> {
            assertThat(e.signal()).isEqualTo("lscpu.hypervisor-vendor");
            assertThat(e.source()).isEqualTo("command: lscpu");
        });
        assertThat(a.evidence()).anySatisfy(e -> {
            assertThat(e.signal()).isEqualTo("acpi.oem-id");
            assertThat(e.value()).startsWith("FIRECK");
        });
        assertThat(a.confidence()).isGreaterThan(0.6);
    }

    @Test
    void sensorRecordsProvenance() {
        Host host = Host.fixture(caseDir("firecracker-docker"));
        SensorContext ctx = new SensorContext(host);
        @SuppressWarnings("unchecked")
        Map<String, Object> facts = (Map<String, Object>) new PlatformSensor().sense(ctx);
        assertThat(facts).containsEntry("hypervisor", "kvm").containsEntry("vmm", "firecracker")
                .containsEntry("container", "docker");
    }

    @Test
    void aNewPlatformIsADataChange() throws IOException {
        String yaml = new String(PlatformSensor.class.getResourceAsStream(Signatures.RESOURCE).readAllBytes(), StandardCharsets.UTF_8)
                .replace("dmi:\n", "dmi:\n  - when: {sys_vendor: \"Example Hypervisor Co\"}\n    supports: [hypervisor=acrn, vmm=examplevmm]\n");
        Signatures.Tables t = Signatures.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
        Path root = Files.createTempDirectory("newplatform");
        Files.createDirectories(root.resolve("root/sys/class/dmi/id"));
        Files.writeString(root.resolve("root/sys/class/dmi/id/sys_vendor"), "Example Hypervisor Co\n");
        Resolver.Answer a = new PlatformSensor(t).detect(Host.fixture(root));
        assertThat(a.hypervisor()).isEqualTo("acrn");
        assertThat(a.vmm()).isEqualTo("examplevmm");
    }

    @Test
    void signatureFileLoadsAndRejectsTypos() {
        assertThat(Signatures.standard().dmi()).isNotEmpty();
        assertThat(Signatures.standard().cpuid()).containsKey("KVMKVMKVM");
        String bad = "dmi:\n  - when: {sys_vendor: x}\n    suports: [hypervisor=kvm]\n";
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Signatures.load(new ByteArrayInputStream(bad.getBytes(StandardCharsets.UTF_8))))
                .hasMessageContaining("suports");
    }
}

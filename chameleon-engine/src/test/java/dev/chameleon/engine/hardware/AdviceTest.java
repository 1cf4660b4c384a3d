package dev.chameleon.engine.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.Host;
import dev.chameleon.host.NoCommandRunner;
import dev.chameleon.host.SysRoot;
import dev.chameleon.model.FactSet;
import dev.chameleon.sensors.SensorSuite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The advice an agent sends: the hardware check (general) and, with /etc/chameleon/migration-target, readiness; sensed from a tree. */
class AdviceTest {
    @TempDir
    Path root;

    void write(String path, String text) throws Exception {
        Path p = root.resolve(path.substring(1));
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    Map<String, Object> advice() {
        Host host = new Host(new SysRoot(root), new NoCommandRunner());
        FactSet facts = SensorSuite.standard().collect(host);
        return Advice.of(host, facts);
    }

    @Test
    @SuppressWarnings("unchecked")
    void hardwareAlwaysReadinessForTheTargetTheFileNames() throws Exception {
        write("/proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
        write("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
        write("/etc/fstab", "/dev/sda1 / ext4 errors=remount-ro 0 1\n");
        Map<String, Object> none = advice();
        assertThat(none).containsOnlyKeys("summary", "hardware");
        assertThat((String) none.get("summary")).startsWith("hardware (general): ");
        assertThat(((Map<String, Object>) none.get("hardware")).get("profile")).isEqualTo("general");

        write("/etc/chameleon/migration-target", "kvm\n");
        Map<String, Object> kvm = advice();
        assertThat(kvm).containsOnlyKeys("summary", "hardware", "readiness");
        Map<String, Object> r = (Map<String, Object>) kvm.get("readiness");
        assertThat(r.get("target")).isEqualTo("kvm");
        assertThat((List<Map<String, Object>>) r.get("findings")).filteredOn(f -> f.get("check").equals("fstab.stable-ids"))
                .singleElement().satisfies(f -> assertThat(f.get("status")).isEqualTo("fail"));
        assertThat((String) kvm.get("summary")).contains("; readiness for kvm: ").contains("fstab.stable-ids");

        write("/etc/chameleon/migration-target", "openstack\n");
        Map<String, Object> unknown = advice();
        assertThat(unknown.get("readinessError")).isEqualTo("migration target 'openstack' is none of kvm, vmware, hyperv, xen, aws, azure, gcp");
        assertThat(unknown).doesNotContainKey("readiness");
    }
}

package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OsSensorTest {
    @TempDir
    Path tmp;

    @Test
    void initSystem() {
        assertThat(OsSensor.initSystem("systemd", false, false, false)).contains("systemd");
        assertThat(OsSensor.initSystem("bash", true, false, false)).contains("systemd");
        assertThat(OsSensor.initSystem("init", false, false, true)).contains("sysvinit");
        assertThat(OsSensor.initSystem("init", false, true, true)).contains("openrc");
        assertThat(OsSensor.initSystem("tini", false, false, false)).contains("other");
        assertThat(OsSensor.initSystem(null, false, false, false)).isEmpty();
    }

    @Test
    @SuppressWarnings("unchecked")
    void toolsAreLookedUpUnderTheRootNotOnThisMachine() throws Exception {
        Tree t = new Tree(tmp).file("/etc/os-release", "ID=alpine\nVERSION_ID=3.20.0\n").file("/proc/1/comm", "systemd\n")
                .dir("/run/systemd/system").file("/usr/sbin/ethtool", "#!/bin/sh\n").file("/sbin/modprobe", "not executable");
        Files.setPosixFilePermissions(t.path("/usr/sbin/ethtool"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, Object> os = t.sense(new OsSensor());
        assertThat(os).containsEntry("id", "alpine").containsEntry("versionId", "3.20.0");
        assertThat(os.get("init")).isEqualTo(Map.of("system", "systemd", "pid1", "systemd"));
        Map<String, Object> tools = (Map<String, Object>) os.get("tools");
        // this machine has systemctl and modprobe; the tree has neither (modprobe is not executable)
        assertThat(tools).containsEntry("ethtool", true).containsEntry("systemctl", false).containsEntry("modprobe", false);
        assertThat(os.get("toolPaths")).isEqualTo(Map.of("ethtool", "/usr/sbin/ethtool"));
    }

    @Test
    void withoutAnyPathFolderWhichToolsExistIsUnknown() throws Exception {
        Map<String, Object> os = new Tree(tmp).file("/etc/os-release", "ID=debian\n").sense(new OsSensor());
        assertThat(os).containsEntry("id", "debian").doesNotContainKeys("tools", "toolPaths");
    }
}

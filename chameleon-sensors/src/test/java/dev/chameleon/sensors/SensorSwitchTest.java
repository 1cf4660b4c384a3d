package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chameleon.model.FactSet;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sensors by name with an on/off switch: a switched-off sensor does not run and says so (absent ≠ failed ≠ disabled). */
class SensorSwitchTest {
    @TempDir
    Path tmp;

    @Test
    void everySensorIsRegisteredByItsName() {
        assertThat(Sensors.all().stream().map(Sensor::name).toList()).isEqualTo(Sensors.NAMES);
        assertThat(SensorSuite.standard().names()).isEqualTo(Sensors.NAMES);
    }

    @Test
    void aSwitchedOffSensorIsReportedDisabledAndItsFactsAreAbsent() throws Exception {
        Tree t = new Tree(tmp).file("/proc/cpuinfo", CpuSensorTest.EPYC).file("/etc/os-release", "ID=debian\n");
        SensorSuite suite = SensorSuite.standard().without(List.of("apps", "cpu"));
        assertThat(suite.disabled()).containsExactly("cpu", "apps");
        assertThat(suite.sensors()).extracting(Sensor::name).doesNotContain("cpu", "apps");
        FactSet f = suite.collect(t.host());
        assertThat(f.get("cpu")).isEmpty();
        assertThat(f.get("apps")).isEmpty();
        assertThat(f.get("os.id")).contains("debian");
        assertThat(f.get("meta.sensors.cpu")).contains(Map.of("status", "disabled"));
        assertThat(f.get("meta.sensors.apps.status")).contains("disabled");
        assertThat(f.get("meta.sensors.os.status")).contains("ok");
        // report order is kept: disabled sensors where they would have been
        @SuppressWarnings("unchecked")
        Map<String, Object> sensors = (Map<String, Object>) f.get("meta.sensors").orElseThrow();
        assertThat(sensors.keySet()).containsExactlyElementsOf(Sensors.NAMES);
        // 'facts cpu' with cpu off: reported disabled, not run
        FactSet only = suite.only(List.of("cpu", "os")).collect(t.host());
        assertThat(only.get("meta.sensors.cpu.status")).contains("disabled");
        assertThat(only.get("os.id")).contains("debian");
    }

    @Test
    void anUnknownNameIsAnErrorNamingTheKnownOnes() {
        assertThatThrownBy(() -> SensorSuite.standard().without(List.of("gpu")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no sensor named 'gpu'; known: " + Sensors.NAMES);
    }
}

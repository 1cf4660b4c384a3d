package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.model.FactSet;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code migration.target} from {@code /etc/chameleon/migration-target}: one word, comments allowed; a typo fails the sensor. */
class MigrationSensorTest {
    @TempDir
    Path tmp;
    int n;

    FactSet collect(String content) {
        Tree t = new Tree(tmp.resolve("t" + (n++)));
        if (content != null) {
            t.file(MigrationSensor.FILE, content);
        }
        return SensorSuite.standard().collect(t.host());
    }

    @Test
    void theTargetIsTheOneWordInTheFile() {
        FactSet f = collect("# the VM moves to KVM in the March wave\n\nkvm\n");
        assertThat(f.get("migration.target")).contains("kvm");
        assertThat(f.get("meta.sensors.migration.status")).contains("ok");
        assertThat(collect("aws").get("migration.target")).contains("aws");
    }

    @Test
    void noFileOrNoWordIsNoTarget() {
        assertThat(collect(null).get("migration")).contains(Map.of());
        assertThat(collect("# not decided yet\n").get("migration")).contains(Map.of());
        assertThat(collect(null).get("meta.sensors.migration.status")).contains("ok");
    }

    @Test
    void aTypoFailsTheSensorWithFileAndLineInsteadOfMeaningNoTarget() {
        FactSet two = collect("kvm\nvmware\n");
        assertThat(two.get("meta.sensors.migration.status")).contains("failed");
        assertThat(two.get("meta.sensors.migration.error").map(String::valueOf).orElseThrow())
                .contains("/etc/chameleon/migration-target:2: a second target 'vmware' (the file holds one word)");
        assertThat(two.get("migration.target")).isEmpty();
        FactSet bad = collect("KVM host\n");
        assertThat(bad.get("meta.sensors.migration.error").map(String::valueOf).orElseThrow())
                .contains("/etc/chameleon/migration-target:1: 'KVM host' is not a target name");
    }
}

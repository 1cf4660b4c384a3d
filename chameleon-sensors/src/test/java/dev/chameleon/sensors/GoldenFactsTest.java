package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.Host;
import dev.chameleon.model.FactSet;
import dev.chameleon.model.json.FactSetCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole FactSet of a few machines, compared with a golden JSON file
 * ({@code src/test/resources/golden/NAME.json}), so that a change in any fact shows up in review as
 * a change of that file. Machines: fixture cases of {@code ../shared/fixtures/platform} (a root
 * and, when captured, canned command output) and trees captured here ({@code src/test/machines}).
 * What changes from run to run is left out: {@code meta.collectedAt}, each sensor's
 * {@code durationMs}, and {@code meta.root}/{@code meta.commands} become the fixture's name.
 *
 * <p>Regenerate after a deliberate change with {@code -Dchameleon.golden.update=true} (docs/facts.md):
 * {@code ./mvnw -B -pl chameleon-sensors -am test -Dtest=GoldenFactsTest -Dchameleon.golden.update=true -Dsurefire.failIfNoSpecifiedTests=false},
 * then review the diff.
 */
class GoldenFactsTest {
    /** name → [root, commands or null]; fixture paths relative to the fixtures folder, captured ones to src/test/machines. */
    static List<String> machines() {
        return List.of("fixture:util-linux-lscpu-vmware_fpe", "fixture:util-linux-lscpu-x86_64-dell_e4310", "fixture:virt-what-rhel5-xen-domU-pv",
                "fixture:cloud-init-Ec2-hvm", "captured:qemu-q35-virtio", "captured:firecracker-docker");
    }

    static Path repo() {
        return Path.of(System.getProperty("chameleon.repo", ".."));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("machines")
    void theWholeFactSetIsTheGoldenOne(String machine) throws IOException {
        String kind = machine.substring(0, machine.indexOf(':'));
        String name = machine.substring(machine.indexOf(':') + 1);
        Host host;
        if (kind.equals("fixture")) {
            Path fixtures = Path.of(System.getProperty("chameleon.fixtures", "../../shared/fixtures"));
            Path c = fixtures.resolve("platform").resolve(name);
            assertThat(c.resolve("root")).as("fixture case " + c + " (../shared/fixtures beside the checkout)").isDirectory();
            Path commands = c.resolve("commands");
            host = Host.forOptions(c.resolve("root"), Files.isDirectory(commands) ? commands : null);
        } else {
            Path m = repo().resolve("chameleon-sensors/src/test/machines").resolve(name);
            assertThat(m).as("captured machine").isDirectory();
            host = Host.fixture(m);
        }
        FactSet facts = SensorSuite.standard().collect(host);
        String actual = FactSetCodec.write(stable(facts, name)) + "\n";
        Path golden = repo().resolve("chameleon-sensors/src/test/resources/golden").resolve(name + ".json");
        if (Boolean.getBoolean("chameleon.golden.update")) {
            Files.createDirectories(golden.getParent());
            Files.writeString(golden, actual, StandardCharsets.UTF_8);
        }
        assertThat(golden).as("golden file; make it with -Dchameleon.golden.update=true (see this test's doc)").exists();
        assertThat(actual).as("facts of " + machine + " against " + golden + "; a deliberate change: regenerate with "
                + "-Dchameleon.golden.update=true and review the diff").isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
    }

    /** The facts without what differs between runs and checkouts. */
    @SuppressWarnings("unchecked")
    static FactSet stable(FactSet facts, String name) {
        Map<String, Object> tree = new LinkedHashMap<>(facts.asMap());
        Map<String, Object> meta = new LinkedHashMap<>((Map<String, Object>) tree.get("meta"));
        meta.remove("collectedAt");
        meta.put("root", "<" + name + ">/root");
        meta.put("commands", String.valueOf(meta.get("commands")).replaceAll("/\\S*/" + java.util.regex.Pattern.quote(name) + "/", "<" + name + ">/"));
        Map<String, Object> sensors = new LinkedHashMap<>();
        ((Map<String, Object>) meta.get("sensors")).forEach((s, st) -> {
            Map<String, Object> m = new LinkedHashMap<>((Map<String, Object>) st);
            m.remove("durationMs");
            sensors.put(s, m);
        });
        meta.put("sensors", sensors);
        tree.put("meta", meta);
        return FactSet.of(tree, Map.of());
    }
}

package dev.chameleon.engine.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.FactSet;
import dev.chameleon.policy.PolicySet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The pack's migration policies (pack/migration.yaml) ask for exactly the initramfs drivers that
 * {@code chameleon readiness --target T} checks (hardware/platforms.yaml, the first module of each
 * {@code a|b}), for every target: the drivers are written in both places, and this test is what
 * keeps them one rule.
 */
class MigrationPackMatchesPlatformsTest {
    @Test
    void everyTargetsPolicyAsksForTheDriversReadinessChecks() throws Exception {
        PolicySet pack = PolicySet.compile(PolicySet.defaultPack());
        assertThat(Platforms.NAMES).hasSize(7);
        for (String target : Platforms.NAMES) {
            Platforms.Platform p = Platforms.get(target).orElseThrow();
            TreeSet<String> want = new TreeSet<>();
            List<String> modules = new ArrayList<>(p.storageModules());
            modules.addAll(p.networkModules());
            modules.forEach(m -> want.add(m.split("\\|")[0].replace('-', '_')));
            FactSet facts = FactSet.of(Map.of("platform", Map.of("hypervisor", "none", "cloud", "none", "container", "none"),
                    "migration", Map.of("target", target)), Map.of());
            List<DesiredSetting> initramfs = pack.evaluate(facts).desired().stream()
                    .filter(d -> d.key().kind().equals("initramfs")).toList();
            assertThat(initramfs).as(target).singleElement().satisfies(d -> {
                assertThat(d.key().target()).as(target).isEqualTo("running/" + String.join(",", want));
                assertThat(d.value()).isEqualTo("present");
                assertThat(d.reason().policy()).startsWith("migration-");
            });
        }
    }
}

package dev.chameleon.policy;

import static dev.chameleon.policy.PolicySetTest.compile;
import static dev.chameleon.policy.PolicySetTest.onlyError;
import static dev.chameleon.policy.PolicySetTest.withSetting;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.model.FactSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code nicSysctl}: a per-interface sysctl on the NICs a selector picks from the {@code nics} facts. */
class NicSysctlSettingTest {
    static final FactSet FACTS = FactSet.of(Map.of("nics", List.of(
            Map.of("name", "eth0", "driver", "virtio_net"),
            Map.of("name", "eth0.100", "driver", "virtio_net"),
            Map.of("name", "docker0", "driver", "bridge"))), Map.of());

    @Test
    void selectsNicsByTheirFactsAndKeysThemPerNic() throws Exception {
        var ev = compile(withSetting("nicSysctl: {select: 'nic.driver == \"virtio_net\"', key: rp_filter, value: 2}")).evaluate(FACTS);
        assertThat(ev.desired()).extracting(d -> d.key() + "=" + d.value())
                .containsExactlyInAnyOrder("nicSysctl:eth0/ipv4.rp_filter=2", "nicSysctl:eth0.100/ipv4.rp_filter=2");
        var all = compile(withSetting("nicSysctl: {family: ipv6, key: accept_ra, value: 0}")).evaluate(FACTS);
        assertThat(all.desired()).hasSize(3).allSatisfy(d -> assertThat(d.key().target()).endsWith("/ipv6.accept_ra"));
    }

    @Test
    void badFamilyKeyOrValueRefusedWithTheDocumentedType() {
        assertThat(onlyError(withSetting("nicSysctl: {family: ipx, key: rp_filter, value: 2}")).message())
                .contains("family must be ipv4 or ipv6");
        assertThat(onlyError(withSetting("nicSysctl: {key: conf.eth0.rp_filter, value: 2}")).message())
                .contains("is not a per-interface sysctl name");
        assertThat(onlyError(withSetting("nicSysctl: {key: rp_filter, value: 3}")).message())
                .contains("net.ipv4.conf.*.rp_filter is a whole number from 0 to 2").contains("ip-sysctl.rst");
        assertThat(onlyError(withSetting("nicSysctl: {select: 'nic.drivr == \"x\"', key: rp_filter, value: 1}")).message())
                .contains("undefined field 'drivr'").contains("did you mean 'driver'?");
    }
}

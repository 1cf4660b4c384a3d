package dev.chameleon.policy;

import static dev.chameleon.policy.PolicySetTest.compile;
import static dev.chameleon.policy.PolicySetTest.onlyError;
import static dev.chameleon.policy.PolicySetTest.withSetting;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.model.FactSet;
import dev.chameleon.model.SysctlTypes;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Sysctl values checked against the kernel's documented types ({@code sysctl-types.tsv}) at
 * compile time, so {@code policy validate} refuses what the kernel would refuse or could never
 * read back. Regressions from the field trial: {@code net.ipv4.route.flush} was accepted (and plan
 * then failed with "permission denied"); {@code somaxconn: -5}, {@code "abc"}, {@code 1.5} were
 * accepted and failed only at apply.
 */
class SysctlTypesValidationTest {
    @Test
    void writeOnlyTriggerRefusedWithTheReasonAndTheKernelSource() {
        PolicyError e = onlyError(withSetting("sysctl: {key: net.ipv4.route.flush, value: 1}"));
        assertThat(e.message()).startsWith("net.ipv4.route.flush is a write-only trigger").contains("net/ipv4/route.c");
        assertThat(e.column()).as("the caret is under the key").isEqualTo(21);
        assertThat(onlyError(withSetting("sysctl: {key: vm.drop_caches, value: 3}")).message()).contains("write-only trigger");
    }

    @Test
    void readOnlyKeyRefused() {
        assertThat(onlyError(withSetting("sysctl: {key: kernel.osrelease, value: '6.1'}")).message())
                .startsWith("kernel.osrelease is read-only").contains("Documentation/admin-guide/sysctl/kernel.rst");
        assertThat(onlyError(withSetting("sysctl: {key: fs.file-nr, value: 1}")).message()).contains("read-only");
    }

    @Test
    void integersOutsideTheDocumentedTypeRefused() {
        for (String bad : new String[] {"-5", "abc", "1.5", "'1 2'"}) {
            assertThat(onlyError(withSetting("sysctl: {key: net.core.somaxconn, value: " + bad + "}")).message())
                    .as(bad).startsWith("net.core.somaxconn is a whole number from 0 to 2147483647, found")
                    .contains("Documentation/networking/ip-sysctl.rst");
        }
        assertThat(onlyError(withSetting("sysctl: {key: vm.swappiness, value: 201}")).message())
                .isEqualTo("vm.swappiness is a whole number from 0 to 200, found '201' (Documentation/admin-guide/sysctl/vm.rst (swappiness, 0 to 200))");
        assertThat(onlyError(withSetting("sysctl: {key: net.ipv4.conf.eth0.rp_filter, value: 3}")).message())
                .startsWith("net.ipv4.conf.eth0.rp_filter is a whole number from 0 to 2");
        assertThat(onlyError(withSetting("sysctl: {key: net.ipv4.tcp_sack, value: 2}")).message()).contains("is 0 or 1");
        assertThat(onlyError(withSetting("sysctl: {key: net.ipv4.tcp_rmem, value: '4096 87380'}")).message())
                .contains("is 3 whole numbers of at least 1");
        assertThat(onlyError(withSetting("sysctl: {key: net.ipv4.ip_local_port_range, value: '60000 1000'}")).message())
                .contains("the first must not be above the second");
        assertThat(onlyError(withSetting("sysctl: {key: net.core.somaxconn, value: {atLeast: 99999999999}}")).message())
                .contains("found '>=99999999999'");
    }

    @Test
    void octalAndHexNumbersRefusedBecauseTheKernelPrintsThemInDecimal() {
        assertThat(onlyError(withSetting("sysctl: {key: net.core.somaxconn, value: '010'}")).message())
                .contains("read by the kernel as an octal number");
        assertThat(onlyError(withSetting("sysctl: {key: net.core.somaxconn, value: '0x10'}")).message())
                .contains("hexadecimal");
    }

    @Test
    void documentedValuesAndUndocumentedKeysPass() throws Exception {
        var set = compile(withSetting("sysctl: {key: net.core.somaxconn, value: {atLeast: 4096}}"),
                withSetting("sysctl: {key: net.ipv4.tcp_adv_win_scale, value: 100}").replace("name: x", "name: y"),
                withSetting("sysctl: {key: net.ipv4.tcp_rmem, value: '4096  87380 6291456'}").replace("name: x", "name: z"));
        assertThat(set.policies()).hasSize(3);
    }

    /** The kernel prints a reserved-port list sorted, merged and as ranges; the desired value is kept in that form. */
    @Test
    void portListKeptInTheKernelsForm() throws Exception {
        var ev = compile(withSetting("sysctl: {key: net.ipv4.ip_local_reserved_ports, value: '8082,8080, 8081,9000-9010,9005'}"))
                .evaluate(FactSet.of(Map.of(), Map.of()));
        assertThat(ev.desired()).singleElement().satisfies(d -> assertThat(d.value()).isEqualTo("8080-8082,9000-9010"));
        assertThat(onlyError(withSetting("sysctl: {key: net.ipv4.ip_local_reserved_ports, value: '8080-80'}")).message())
                .contains("comma-separated list of ports");
        assertThat(onlyError(withSetting("sysctl: {key: net.ipv4.ip_local_reserved_ports, value: '70000'}")).message())
                .contains("from 0 to 65535");
    }

    @Test
    void slashFormKeysFollowSysctl8() {
        assertThat(SysctlTypes.dotted("net/ipv4/conf/v0.10/rp_filter")).isEqualTo("net.ipv4.conf.v0/10.rp_filter");
        assertThat(SysctlTypes.dotted("net.ipv4.conf.v0/10.rp_filter")).isEqualTo("net.ipv4.conf.v0/10.rp_filter");
        assertThat(SysctlTypes.path("net.ipv4.conf.v0/10.rp_filter")).isEqualTo("net/ipv4/conf/v0.10/rp_filter");
        assertThat(SysctlTypes.of("net.ipv4.conf.v0/10.rp_filter")).hasValueSatisfying(t -> assertThat(t.max()).isEqualTo(2L));
    }

    @Test
    void everyDataLineCitesAKernelSource() {
        assertThat(SysctlTypes.all()).hasSizeGreaterThan(100).allSatisfy(t ->
                assertThat(t.source()).matches(".*(Documentation/[a-zA-Z/-]+\\.rst|net/ipv[46]/route\\.c).*"));
    }
}

package dev.chameleon.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The "fails at" line: which clause of a conjunction kept a policy from matching (issue 12). */
class FailingClauseTest {
    private static Optional<Condition.FailedClause> failing(String when, String hypervisor, String container) throws PolicyException {
        PolicySet set = PolicySetTest.compile("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: p}
                spec:
                  when: %s
                  settings:
                    - sysctl: {key: vm.swappiness, value: "10"}
                """.formatted(when));
        PolicySet.PolicyOutcome o = set.evaluate(PolicySetTest.facts(hypervisor, container)).outcomes().get(0);
        return o.failedClause();
    }

    @Test
    void namesTheFirstFalseClauseInWrittenOrderWithItsFacts() throws PolicyException {
        Condition.FailedClause c = failing("'platform.container == \"none\" && platform.hypervisor == \"vmware\" && disks.size() > 0'",
                "kvm", "none").orElseThrow();
        assertThat(c.clause()).isEqualTo("platform.hypervisor == \"vmware\"");
        assertThat(c.facts()).containsExactly("platform.hypervisor = \"kvm\"");
        assertThat(c.error()).isEmpty();

        // the first clause fails first, even when a later one fails too
        assertThat(failing("'platform.container == \"none\" && platform.hypervisor == \"vmware\"'", "kvm", "docker"))
                .map(Condition.FailedClause::clause).contains("platform.container == \"none\"");
    }

    @Test
    void parenthesesAndNestingAreFlattenedButDisjunctionsStayWhole() throws PolicyException {
        assertThat(failing("'(platform.container == \"none\" && (disks.size() > 0 && platform.hypervisor in [\"vmware\", \"xen\"]))'",
                "kvm", "none")).map(Condition.FailedClause::clause).contains("platform.hypervisor in [\"vmware\", \"xen\"]");
        assertThat(failing("'platform.container == \"none\" && (platform.hypervisor == \"vmware\" || platform.hypervisor == \"xen\")'",
                "kvm", "none")).map(Condition.FailedClause::clause).contains("platform.hypervisor == \"vmware\" || platform.hypervisor == \"xen\"");
    }

    @Test
    void theClauseIsQuotedAsWrittenComprehensionsIncluded() throws PolicyException {
        assertThat(failing("'platform.container == \"none\" &&   disks.exists(d, d.name == \"nvme0n1\")'", "kvm", "none"))
                .map(Condition.FailedClause::clause).contains("disks.exists(d, d.name == \"nvme0n1\")");
        assertThat(failing("'(platform.hypervisor == \"vmware\") == true && platform.container == \"none\"'", "kvm", "none"))
                .map(Condition.FailedClause::clause).contains("(platform.hypervisor == \"vmware\") == true");
        assertThat(failing("'platform.container == \"none\" && platform.hypervisor == \"a)b\"'", "kvm", "none"))
                .map(Condition.FailedClause::clause).contains("platform.hypervisor == \"a)b\"");
    }

    @Test
    void anAbsentFactIsTheFailingClauseWithItsError() throws PolicyException {
        Condition.FailedClause c = failing("'platform.container == \"none\" && memory.thp.enabled == \"always\"'", "kvm", "none").orElseThrow();
        assertThat(c.clause()).isEqualTo("memory.thp.enabled == \"always\"");
        assertThat(c.error()).contains("guard it with has(");
    }

    @Test
    void nothingForASingleClauseOrAMatch() throws PolicyException {
        assertThat(failing("'platform.hypervisor == \"vmware\"'", "kvm", "none")).isEmpty();
        assertThat(failing("'platform.hypervisor == \"kvm\" && platform.container == \"none\"'", "kvm", "none")).isEmpty();
        assertThat(failing("'platform.hypervisor == \"vmware\" || platform.container == \"docker\"'", "kvm", "none")).isEmpty();
    }
}

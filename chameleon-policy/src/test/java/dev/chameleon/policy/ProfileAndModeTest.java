package dev.chameleon.policy;

import static dev.chameleon.policy.PolicySetTest.compile;
import static dev.chameleon.policy.PolicySetTest.facts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chameleon.model.DesiredSetting;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ProfileAndModeTest {
    static final String PROFILES = """
            apiVersion: chameleon/v1
            kind: Profile
            metadata: {name: base}
            spec:
              settings:
                - sysctl: {key: vm.swappiness, value: 60}
                - sysctl: {key: vm.dirty_ratio, value: 20}
            ---
            apiVersion: chameleon/v1
            kind: Profile
            metadata: {name: guest}
            spec:
              include: [base]
              settings:
                - sysctl: {key: vm.swappiness, value: 30}
                - blockQueue: {select: 'disk.virtio', scheduler: none}
            """;

    static Map<String, DesiredSetting> byKey(PolicySet set) {
        return set.evaluate(facts("kvm", "none")).desired().stream()
                .collect(Collectors.toMap(d -> d.key().toString(), d -> d));
    }

    @Test
    void policyAppliesProfileWithIncludesAndTheIncludingSideWins() throws PolicyException {
        PolicySet set = compile(PROFILES, """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: kvm-guest}
                spec:
                  when: platform.hypervisor == "kvm"
                  profiles: [guest]
                  settings:
                    - sysctl: {key: vm.dirty_ratio, value: 40}
                """);
        Map<String, DesiredSetting> d = byKey(set);
        assertThat(d.get("sysctl:vm.swappiness").value()).isEqualTo("30");
        assertThat(d.get("sysctl:vm.dirty_ratio").value()).isEqualTo("40");
        assertThat(d.get("blockQueue:vda/scheduler").value()).isEqualTo("none");
        assertThat(d).doesNotContainKey("blockQueue:sda/scheduler");
        // a profile's setting points at the profile's file and line, and is owned by the policy
        assertThat(d.get("sysctl:vm.swappiness").reason().source()).isEqualTo("p0.yaml:15");
        assertThat(d.get("sysctl:vm.swappiness").reason().policy()).isEqualTo("kvm-guest");
        assertThat(set.profiles()).extracting(Profile::name).containsExactly("base", "guest");
    }

    @Test
    void policyMadeOnlyOfProfilesNeedsNoSettings() throws PolicyException {
        PolicySet set = compile(PROFILES, """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: p}
                spec:
                  profiles: [base]
                """);
        assertThat(byKey(set)).containsOnlyKeys("sysctl:vm.swappiness", "sysctl:vm.dirty_ratio");
    }

    @Test
    void includeCycleIsPositionedAtTheIncludeThatClosesIt() {
        String cyc = """
                apiVersion: chameleon/v1
                kind: Profile
                metadata: {name: a}
                spec:
                  include: [b]
                  settings:
                    - sysctl: {key: vm.swappiness, value: 1}
                ---
                apiVersion: chameleon/v1
                kind: Profile
                metadata: {name: b}
                spec:
                  include: [c]
                ---
                apiVersion: chameleon/v1
                kind: Profile
                metadata: {name: c}
                spec:
                  include: [a]
                ---
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: p}
                spec:
                  profiles: [a]
                """;
        PolicyError e = PolicySetTest.onlyError(cyc);
        assertThat(e.message()).isEqualTo("include cycle: a -> b -> c -> a; a profile cannot include itself, directly or not");
        assertThat(e.line()).isEqualTo(19);
        assertThat(e.column()).isEqualTo(13);
        assertThat(e.format()).endsWith("  include: [a]\n              ^");
    }

    @Test
    void unknownProfileIsNamedAtTheReference() {
        PolicyError e = PolicySetTest.onlyError(PROFILES + """
                ---
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: p}
                spec:
                  profiles: [guest, virtual-gest]
                """);
        assertThat(e.message()).isEqualTo("no profile named 'virtual-gest' (known: base, guest)");
        assertThat(e.line()).isEqualTo(22);
        assertThat(e.column()).isEqualTo(21);
    }

    @Test
    void duplicateProfileNamesAreRefused() {
        assertThatThrownBy(() -> compile(PROFILES, PROFILES.substring(0, PROFILES.indexOf("---"))))
                .hasMessageContaining("profile name 'base' is already used by p0.yaml:1");
    }

    @Test
    void auditModeIsDesiredButNotApplicable() throws PolicyException {
        PolicySet set = compile("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: watch}
                spec:
                  mode: audit
                  settings:
                    - sysctl: {key: kernel.kptr_restrict, value: 2}
                ---
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: fix}
                spec:
                  mode: apply-once
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """);
        var ev = set.evaluate(facts("kvm", "none"));
        assertThat(ev.desired()).extracting(d -> d.key().toString()).containsExactly("sysctl:kernel.kptr_restrict", "sysctl:vm.swappiness");
        assertThat(ev.applicable()).extracting(d -> d.key().toString()).containsExactly("sysctl:vm.swappiness");
        assertThat(ev.audited()).extracting(d -> d.key().toString()).containsExactly("sysctl:kernel.kptr_restrict");
        assertThat(ev.modes().get(dev.chameleon.model.SettingKey.parse("sysctl:vm.swappiness"))).isEqualTo("apply-once");
    }

    @Test
    void kindsAreChecked() {
        assertThat(PolicySetTest.onlyError("""
                apiVersion: chameleon/v1
                kind: Profil
                metadata: {name: x}
                spec: {}
                """).message()).isEqualTo("kind 'Profil' is not supported (expected Policy, Profile or PolicyTest)");
        assertThat(PolicySetTest.onlyError("""
                apiVersion: chameleon/v1
                kind: Profile
                metadata: {name: x}
                spec:
                  include: base
                """).message()).contains("spec.include must be a list of names");
    }

    @Test
    void twoPoliciesApplyingOneProfileAtOnePriorityConflictAtThePolicies() {
        String a = """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: a}
                spec:
                  profiles: [base]
                """;
        PolicyException e = org.junit.jupiter.api.Assertions.assertThrows(PolicyException.class,
                () -> compile(PROFILES, a, a.replace("name: a", "name: b")));
        assertThat(e.errors()).hasSize(2).allSatisfy(err -> assertThat(err.file()).isEqualTo("p2.yaml"));
        assertThat(e.errors().get(0).message()).isEqualTo("conflict: policies a (p0.yaml:6 in profile base, applied at p1.yaml:1)"
                + " and b (p0.yaml:6 in profile base, applied at p2.yaml:1) both set sysctl:vm.swappiness at priority 50;"
                + " give one of them a different priority");
        assertThat(e.errors().get(0).line()).isEqualTo(1);
    }
}

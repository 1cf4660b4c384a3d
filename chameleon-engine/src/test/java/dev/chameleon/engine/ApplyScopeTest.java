package dev.chameleon.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chameleon.actuators.TunedOwnership;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.FactSet;
import dev.chameleon.model.Plan;
import dev.chameleon.model.PlanEntry;
import dev.chameleon.model.SettingKey;
import dev.chameleon.policy.PolicySet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one place that decides what apply may touch: advice, audit, apply-once, --only, frozen keys. */
class ApplyScopeTest {
    static PolicySet policies() throws Exception {
        return PolicySet.compile(List.of(new PolicySet.Source("p.yaml", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: tuned}
                spec:
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10, persist: true}
                    - sysctl: {key: vm.dirty_ratio, value: 5}
                    - advice: {key: smt-off, text: Turn SMT off}
                ---
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: watch}
                spec:
                  priority: 60
                  mode: audit
                  settings:
                    - sysctl: {key: kernel.kptr_restrict, value: 2}
                ---
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: first-boot}
                spec:
                  priority: 70
                  mode: apply-once
                  settings:
                    - sysctl: {key: net.core.somaxconn, value: 4096}
                    - sysctl: {key: vm.min_free_kbytes, value: 65536}
                """)));
    }

    @Test
    void adviceAuditAndApplyOnceAlreadyDoneAreLeftAlone() throws Exception {
        PolicySet.Evaluation ev = policies().evaluate(FactSet.empty());
        ApplyScope scope = ApplyScope.of(ev, Map.of("sysctl:net.core.somaxconn=4096", "20261129-100000-000",
                "sysctl:vm.min_free_kbytes=1", "20261129-100000-000"), TunedOwnership.none());
        assertThat(scope.verdict(SettingKey.parse("advice:smt-off"))).isEqualTo(ApplyScope.Verdict.ADVICE);
        assertThat(scope.verdict(SettingKey.parse("sysctl:kernel.kptr_restrict"))).isEqualTo(ApplyScope.Verdict.AUDIT);
        assertThat(scope.verdict(SettingKey.parse("sysctl:net.core.somaxconn"))).isEqualTo(ApplyScope.Verdict.APPLIED_ONCE);
        // applied once with another value: the value now desired was never applied, so apply does it
        assertThat(scope.verdict(SettingKey.parse("sysctl:vm.min_free_kbytes"))).isEqualTo(ApplyScope.Verdict.APPLY);
        assertThat(scope.appliedOnce()).containsExactly(Map.entry(SettingKey.parse("sysctl:net.core.somaxconn"), "20261129-100000-000"));
        assertThat(scope.todo(List.of())).extracting(d -> d.key().toString()).containsExactly("sysctl:vm.swappiness",
                "sysctl:persist/vm.swappiness", "sysctl:vm.dirty_ratio", "sysctl:vm.min_free_kbytes");
    }

    @Test
    void onlyNarrowsToTheKeysASysctlTakingItsDropInAlong() throws Exception {
        ApplyScope scope = ApplyScope.of(policies().evaluate(FactSet.empty()), Map.of(), TunedOwnership.none());
        assertThat(scope.todo(List.of("sysctl:vm.swappiness"))).extracting(d -> d.key().toString())
                .containsExactly("sysctl:vm.swappiness", "sysctl:persist/vm.swappiness");
        assertThat(scope.todo(List.of("sysctl:persist/vm.swappiness"))).extracting(d -> d.key().toString())
                .containsExactly("sysctl:persist/vm.swappiness");
        assertThat(scope.todo(List.of("sysctl:*"))).hasSize(5);
        for (String bad : List.of("sysctl:kernel.kptr_restrict", "advice:smt-off", "nic:*", "swappiness")) {
            assertThatThrownBy(() -> scope.todo(List.of(bad))).as(bad).isInstanceOf(EngineException.BadInput.class)
                    .hasMessage("only " + bad + ": no policy wants this setting here (see 'chameleon plan' for the keys); nothing was changed");
        }
    }

    @Test
    void theDaemonAppliesOnlyChangesThatAreNotFrozenAtTheirTarget() throws Exception {
        PolicySet.Evaluation ev = policies().evaluate(FactSet.empty());
        ApplyScope scope = ApplyScope.of(ev, Map.of(), TunedOwnership.none());
        List<PlanEntry> entries = ev.desired().stream().map(d -> new PlanEntry(d,
                d.key().toString().equals("sysctl:vm.dirty_ratio") ? PlanEntry.Action.OK : PlanEntry.Action.CHANGE, "1", "")).toList();
        Plan plan = new Plan(entries);
        assertThat(scope.changes(plan, (k, t) -> false)).extracting(d -> d.key().toString()).containsExactly("sysctl:vm.swappiness",
                "sysctl:persist/vm.swappiness", "sysctl:net.core.somaxconn", "sysctl:vm.min_free_kbytes");
        List<DesiredSetting> unfrozen = scope.changes(plan, (k, t) -> k.equals("sysctl:vm.swappiness") && t.equals("10"));
        assertThat(unfrozen).extracting(d -> d.key().toString()).doesNotContain("sysctl:vm.swappiness");
        assertThat(scope.changes(plan, (k, t) -> k.equals("sysctl:vm.swappiness") && t.equals("11")))
                .extracting(d -> d.key().toString()).contains("sysctl:vm.swappiness");
    }
}

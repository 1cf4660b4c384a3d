package dev.chameleon.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chameleon.actuators.Applier;
import dev.chameleon.model.ChangeSet;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.Reason;
import dev.chameleon.model.SettingKey;
import dev.chameleon.model.plan.PlanDocument;
import dev.chameleon.policy.PolicySet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine assembled from one configuration, against a machine tree in a temporary folder. */
class EngineTest {
    @TempDir
    Path tmp;
    MachineTree tree;

    @BeforeEach
    void machine() {
        tree = MachineTree.guest(tmp.resolve("root"), "VMware, Inc.", 2, 8L * 1024 * 1024);
        tree.write("/proc/sys/vm/swappiness", "60\n").write("/proc/sys/vm/dirty_ratio", "20\n");
    }

    Engine engine(String... policies) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("policies"));
        for (int i = 0; i < policies.length; i++) {
            Files.writeString(dir.resolve("p" + i + ".yaml"), policies[i]);
        }
        return Engine.of(EngineConfig.builder().root(tree.root).builtinPolicies(false).policies(List.of(dir))
                .stateDir(tmp.resolve("state")).build());
    }

    static String policy(String name, String mode, String settings) {
        return "apiVersion: chameleon/v1\nkind: Policy\nmetadata: {name: " + name + "}\nspec:\n  mode: " + mode + "\n  settings:\n"
                + settings.lines().map(l -> "    " + l + "\n").reduce("", String::concat);
    }

    @Test
    void theBuilderRefusesBadValuesNamingTheSetting() {
        assertThatThrownBy(() -> EngineConfig.builder().root(Path.of(""))).isInstanceOf(EngineException.BadInput.class)
                .hasMessage("root '': empty; give the machine tree's folder (a typo must not mean the current folder)");
        assertThatThrownBy(() -> EngineConfig.builder().root(tmp.resolve("missing")).build()).isInstanceOf(EngineException.BadInput.class)
                .hasMessage("root " + tmp.resolve("missing") + ": no such folder");
        EngineException.BadInput mixed = (EngineException.BadInput) org.assertj.core.api.Assertions.catchThrowable(() ->
                EngineConfig.builder().commands(tmp).build());
        assertThat(mixed.setting()).isEqualTo("commands");
        assertThat(mixed.describe(s -> "--" + s)).startsWith("--commands needs --root: canned command output is never mixed");
        assertThatThrownBy(() -> EngineConfig.builder().sensor("gpu", false).build())
                .hasMessageStartingWith("no sensor named 'gpu'; known: [platform, cpu");
        assertThatThrownBy(() -> EngineConfig.builder().cloudMetadata(true).cloudMetadataUrl("ftp://x").build())
                .isInstanceOf(EngineException.BadInput.class).hasMessageStartingWith("cloudMetadataUrl: ");
        // the metadata URL is only checked when the service is asked
        assertThat(EngineConfig.builder().cloudMetadataUrl("ftp://x").build().metadata().enabled()).isFalse();
    }

    @Test
    void aStateFolderThatIsAFileIsRefusedWhenTheJournalIsNeeded() throws Exception {
        Path file = Files.writeString(tmp.resolve("state-file"), "x");
        Engine e = Engine.of(EngineConfig.builder().root(tree.root).stateDir(file).build());
        assertThat(e.sense().get("platform.hypervisor")).contains("vmware"); // sensing needs no state
        assertThatThrownBy(e::journal).isInstanceOf(EngineException.BadInput.class).hasMessage("stateDir " + file + ": not a folder");
    }

    @Test
    void costlyAnswersAreStoredOnlyInAnExistingStateFolderOfTheLiveMachine() throws Exception {
        Path missing = tmp.resolve("no-state");
        assertThat(Engine.of(EngineConfig.builder().stateDir(missing).build()).freshCache().store()).isEmpty();
        assertThat(missing).doesNotExist();
        Path state = Files.createDirectories(tmp.resolve("state"));
        assertThat(Engine.of(EngineConfig.builder().stateDir(state).build()).freshCache().store()).contains(state.resolve("cache"));
        // a fixture tree (its apt answer is not this machine's): nothing stored
        assertThat(Engine.of(EngineConfig.builder().root(tree.root).stateDir(state).build()).freshCache().store()).isEmpty();
        assertThat(Engine.of(EngineConfig.builder().stateDir(Files.writeString(tmp.resolve("f"), "x")).build()).freshCache().store()).isEmpty();
    }

    @Test
    void everyCommandSensesThroughTheSameSwitches() throws Exception {
        Engine e = Engine.of(EngineConfig.builder().root(tree.root).sensor("apps", false).sensor("gpus", false).sensor("gpus", true).build());
        assertThat(e.sensors().disabled()).containsExactly("apps");
        var pass = e.pass(PolicySet.compile(List.of()));
        assertThat(pass.facts().get("meta.sensors.apps.status")).contains("disabled");
        assertThat(pass.facts().get("meta.sensors.gpus.status")).contains("ok");
    }

    @Test
    void aPassPlansAndApplyChangesWhatItSaid() throws Exception {
        Engine e = engine(policy("low-swap", "enforce", "- sysctl: {key: vm.swappiness, value: 10}\n- sysctl: {key: vm.dirty_ratio, value: 20}"));
        Pass p = e.pass(e.loadPolicies());
        PlanDocument d = p.document();
        assertThat(d.summary().change()).isEqualTo(1);
        assertThat(d.summary().ok()).isEqualTo(1);
        assertThat(p.currentValues()).containsEntry(SettingKey.parse("sysctl:vm.swappiness"), "60")
                .containsEntry(SettingKey.parse("sysctl:vm.dirty_ratio"), "20");
        try (Engine.Changes c = e.changes()) {
            assertThat(c.recover().lines()).isEmpty();
            Applier.Result r = c.apply(p.scope().todo(List.of()), "test");
            assertThat(r.ok()).isTrue();
            assertThat(r.changeSet().entries()).singleElement().satisfies(j -> assertThat(j.key()).isEqualTo("sysctl:vm.swappiness"));
        }
        assertThat(tree.read("/proc/sys/vm/swappiness")).isEqualTo("10");
        assertThat(e.pass(e.loadPolicies()).applyWouldChange()).isFalse();
    }

    /** What learned tuning uses: apply an explicit list of settings with a reason, then undo that change set by id. */
    @Test
    void explicitSettingsAreAppliedAndUndoneByChangeSetId() throws Exception {
        Engine e = engine();
        DesiredSetting trial = new DesiredSetting(SettingKey.parse("sysctl:vm.dirty_ratio"), "5",
                new Reason("tuner", "trial 1", 0, "true", List.of(), ""));
        Applier.Result r = e.applySettings(List.of(trial), "tuner trial 1: vm.dirty_ratio");
        assertThat(r.ok()).isTrue();
        assertThat(tree.read("/proc/sys/vm/dirty_ratio")).isEqualTo("5");
        ChangeSet cs = r.changeSet();
        assertThat(cs.trigger()).isEqualTo("tuner trial 1: vm.dirty_ratio");
        assertThat(e.lastApplied()).contains(cs);
        Applier.Result undo = e.rollback(cs.id(), false, "tuner: trial 1 is worse");
        assertThat(undo.ok()).isTrue();
        assertThat(undo.changeSet().message()).startsWith("tuner: trial 1 is worse");
        assertThat(tree.read("/proc/sys/vm/dirty_ratio")).isEqualTo("20");
        assertThatThrownBy(() -> e.rollback(cs.id(), false, null)).isInstanceOf(EngineException.BadInput.class)
                .hasMessageContaining(cs.id() + ": no applied change set with this id");
    }

    /** A trial a killed tuning run left applied is undone by every recovery, but never while a tuning run holds the tuning lock. */
    @Test
    void everyRecoveryUndoesATrialLeftAppliedUnlessATuningRunHoldsTheTuningLock() throws Exception {
        Engine e = engine();
        DesiredSetting trial = new DesiredSetting(SettingKey.parse("sysctl:vm.dirty_ratio"), "5",
                new Reason("tune-trial-1", "tuning", 0, "true", List.of(), ""));
        DesiredSetting other = new DesiredSetting(SettingKey.parse("sysctl:vm.swappiness"), "10",
                new Reason("web", "rule", 0, "true", List.of(), ""));
        assertThat(e.applySettings(List.of(other), "apply --yes").ok()).isTrue();
        ChangeSet cs = e.applySettings(List.of(trial), Recovery.TRIAL_TRIGGER + " 1: sysctl:vm.dirty_ratio=5").changeSet();
        assertThat(tree.read("/proc/sys/vm/dirty_ratio")).isEqualTo("5");
        try (AutoCloseable running = e.stateFolder().tuningLock()) {
            assertThat(Files.readString(tmp.resolve("state/tune.lock")).strip()).isEqualTo(String.valueOf(ProcessHandle.current().pid()));
            assertThatThrownBy(() -> e.stateFolder().tuningLock()).isInstanceOf(EngineException.Refused.class)
                    .hasMessageStartingWith("another tuning run (pid " + ProcessHandle.current().pid() + ") uses the state folder");
            assertThat(e.interruptedTrials()).as("a trial under way is not interrupted").isEmpty();
            try (Engine.Changes c = e.changes()) {
                assertThat(c.recover().trials()).isEmpty();
            }
            assertThat(tree.read("/proc/sys/vm/dirty_ratio")).isEqualTo("5");
        }
        assertThat(e.interruptedTrials()).containsExactly(cs);
        Recovery r;
        try (Engine.Changes c = e.changes()) {
            r = c.recover();
        }
        assertThat(r.trials()).hasSize(1);
        assertThat(r.lines()).containsExactly(r.trials().get(0).line());
        assertThat(r.trials().get(0).line()).startsWith("undid change set " + cs.id() + " left by an interrupted tuning run (tune trial 1: ");
        assertThat(tree.read("/proc/sys/vm/dirty_ratio")).as("the trial is undone").isEqualTo("20");
        assertThat(tree.read("/proc/sys/vm/swappiness")).as("an ordinary change set stays").isEqualTo("10");
        assertThat(e.interruptedTrials()).isEmpty();
    }

    @Test
    void theChangeLockIsOnePerStateFolderAndTheAgentLockOnePerAgent() throws Exception {
        Engine e = engine();
        try (Engine.Changes held = e.changes()) {
            assertThatThrownBy(e::changes).isInstanceOf(EngineException.Refused.class)
                    .hasMessage("another chameleon process holds " + tmp.resolve("state/lock") + "; nothing was changed");
        }
        try (Engine.Changes again = e.changes()) {
            assertThat(again).isNotNull();
        }
        try (AutoCloseable agent = e.stateFolder().agentLock()) {
            assertThat(Files.readString(tmp.resolve("state/agent.lock")).strip()).isEqualTo(String.valueOf(ProcessHandle.current().pid()));
            assertThatThrownBy(() -> e.stateFolder().agentLock()).isInstanceOf(EngineException.Refused.class)
                    .hasMessageStartingWith("another agent (pid " + ProcessHandle.current().pid() + ") runs with the state folder");
            // the two locks are separate: an agent running does not stop 'apply'
            try (Engine.Changes c = e.changes()) {
                assertThat(c).isNotNull();
            }
        }
    }

    @Test
    void policiesThatDoNotCompileAreBadInputWithTheirPositions() throws Exception {
        Engine e = engine("apiVersion: chameleon/v1\nkind: Policy\nmetadata: {name: x}\nspec:\n  when: platform.hypervisr == 'x'\n"
                + "  settings:\n    - sysctl: {key: vm.swappiness, value: 1}\n");
        assertThatThrownBy(e::loadPolicies).isInstanceOf(EngineException.BadInput.class)
                .hasMessageStartingWith("policies do not compile; nothing was changed\n")
                .hasMessageContaining("p0.yaml:5:");
        assertThatThrownBy(() -> Engine.compile(List.of(), new ArrayList<>(List.of(new dev.chameleon.policy.PolicyError("f", 0, 0, "gone", "")))))
                .hasMessageStartingWith("cannot load policies; nothing was changed");
    }

    /** A Tuning file beside the policies (policies.d, a bundle) is not a policy: read by the Tuning reader, run by the agent. */
    @Test
    void aTuningFileBesideThePoliciesIsReadAsATuningAndItsErrorsArePositioned() throws Exception {
        String tuning = "apiVersion: chameleon/v1\nkind: Tuning\nmetadata: {name: t}\nspec:\n"
                + "  objective: {probe: {command: [/bin/echo, '5']}, goal: maximise}\n"
                + "  knobs:\n    - sysctl: {key: vm.swappiness}\n      choices: [10, 20]\n  budget: {trials: 2}\n";
        Engine e = engine(policy("low", "enforce", "- sysctl: {key: vm.swappiness, value: 10}"), tuning);
        assertThat(e.loadPolicies().policies()).extracting(p -> p.name()).containsExactly("low");
        assertThat(Engine.tuningSources(e.policySources(new ArrayList<>()))).extracting(PolicySet.Source::name)
                .containsExactly(tmp.resolve("policies/p1.yaml").toString());
        Engine bad = engine(policy("low", "enforce", "- sysctl: {key: vm.swappiness, value: 10}"), tuning.replace("trials: 2", "trials: 0"));
        assertThatThrownBy(bad::loadPolicies).isInstanceOf(EngineException.BadInput.class)
                .hasMessageStartingWith("cannot load policies; nothing was changed\n")
                .hasMessageContaining("p1.yaml:9:");
    }

    /**
     * Issue 17: two Tuning files with one metadata.name made an apply-mode agent run trials on
     * every pass, alternating between them. The load refuses them as it refuses two policies of
     * one name (the agent's reload keeps the previous policies), naming both places.
     */
    @Test
    void twoTuningsOfOneNameAreRefusedByTheLoadNamingBothFiles() throws Exception {
        String tuning = "apiVersion: chameleon/v1\nkind: Tuning\nmetadata: {name: dup}\nspec:\n"
                + "  objective: {probe: {command: [/bin/echo, '5']}, goal: maximise}\n"
                + "  knobs:\n    - sysctl: {key: vm.swappiness}\n      choices: [10, 20]\n  budget: {trials: 2}\n";
        Engine e = engine(tuning, tuning.replace("choices: [10, 20]", "choices: [30, 40]"));
        Path dir = tmp.resolve("policies");
        assertThatThrownBy(e::loadPolicies).isInstanceOf(EngineException.BadInput.class)
                .hasMessageStartingWith("cannot load policies; nothing was changed\n")
                .hasMessageContaining(dir.resolve("p1.yaml") + ":1:1: error: tuning name 'dup' is already used by " + dir.resolve("p0.yaml") + ":1");
        Engine renamed = engine(tuning, tuning.replace("name: dup", "name: other"));
        assertThat(Engine.tuningSources(renamed.policySources(new ArrayList<>()))).hasSize(2);
        assertThat(renamed.loadPolicies().policies()).isEmpty();
    }

    /**
     * The .deb's agent.yaml names /etc/chameleon/policies.d, which the engine also loads as the
     * system folder: each file is read once (a real Debian guest's agent refused every reload with
     * "policy name 'site' is already used by" the same file).
     */
    @Test
    void policiesDNamedAgainInTheConfigurationIsLoadedOnce() throws Exception {
        tree.write("/etc/chameleon/policies.d/site.yaml", policy("site", "enforce", "- sysctl: {key: vm.swappiness, value: 10}"));
        Path dir = tree.root.resolve("etc/chameleon/policies.d");
        Engine e = Engine.of(EngineConfig.builder().root(tree.root).builtinPolicies(false).policies(List.of(dir, dir.resolve("site.yaml")))
                .stateDir(tmp.resolve("state")).build());
        assertThat(e.policySources(new ArrayList<>())).extracting(PolicySet.Source::name).containsExactly(dir.resolve("site.yaml").toString());
        assertThat(e.loadPolicies().policies()).extracting(p -> p.name()).containsExactly("site");
    }
}

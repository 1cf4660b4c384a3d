package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chameleon tune} on a machine tree ({@code --root}): the knob is the tree's
 * {@code /proc/sys/net/core/somaxconn} file and the objective reads that file back with
 * {@code /bin/cat}, so the best value is known exactly (the kernel itself is tuned in
 * {@code NetnsTuneIT}). Safe default, refusals and bad inputs, each with nothing changed.
 */
class TuneCommandTest {
    @TempDir
    Path tmp;
    Path root;

    record Run(int code, String out, String err) {
    }

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeEach
    void tree() throws Exception {
        root = tmp.resolve("root");
        MachineTree.vmwareGuest(root);
        MachineTree.write(root, "/proc/sys/net/core/somaxconn", "4096\n");
    }

    Path tuning(String when, String extraKnob) throws Exception {
        return Files.writeString(tmp.resolve("t.yaml"), """
                apiVersion: chameleon/v1
                kind: Tuning
                metadata: {name: backlog}
                spec:
                  objective: {probe: {command: [/bin/cat, %s]}, goal: maximise, repeats: 2}
                  knobs:
                    - sysctl: {key: net.core.somaxconn}
                      choices: [1024, 8192]
                %s  budget: {trials: 2}
                %s""".formatted(root.resolve("proc/sys/net/core/somaxconn"), extraKnob, when));
    }

    String somaxconn() throws Exception {
        return MachineTree.read(root, "/proc/sys/net/core/somaxconn");
    }

    /** New-user trial: a congestion control the kernel does not offer was taken into the trial plan. */
    @Test
    void aChoiceTheKernelDoesNotOfferRefusesTheRunAtItsKnob() throws Exception {
        MachineTree.write(root, "/proc/sys/net/ipv4/tcp_congestion_control", "cubic\n");
        MachineTree.write(root, "/proc/sys/net/ipv4/tcp_available_congestion_control", "reno cubic\n");
        MachineTree.write(root, "/proc/sys/kernel/osrelease", "6.1.0-test\n");
        Path f = tuning("", "    - sysctl: {key: net.ipv4.tcp_congestion_control}\n      choices: [cubic, bbr]\n");
        Run r = cli("tune", f.toString(), "--root", root.toString(), "--no-default-policies");
        assertThat(r.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.err()).contains(f + ":9:7: knob sysctl:net.ipv4.tcp_congestion_control value 'bbr' cannot be set here")
                .contains("'bbr' is not offered by this kernel (net.ipv4.tcp_available_congestion_control: reno cubic")
                .contains("nothing was changed");
        JsonNode doc = new ObjectMapper().readTree(cli("tune", f.toString(), "--root", root.toString(), "--no-default-policies",
                "-o", "json").out());
        assertThat(doc.get("ok").asBoolean()).isFalse();
        assertThat(doc.get("errors").get(0).get("line").asInt()).isEqualTo(9);
        assertThat(doc.get("errors").get(0).get("message").asText()).contains("'bbr' cannot be set here");
        // a module on disk is loaded by the kernel at the write: offered
        MachineTree.write(root, "/lib/modules/6.1.0-test/kernel/net/ipv4/tcp_bbr.ko.zst", "module\n");
        Run ok = cli("tune", f.toString(), "--root", root.toString(), "--no-default-policies");
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("sysctl:net.ipv4.tcp_congestion_control: now cubic; 2 value(s)");
        // issue 17: the suggested command keeps what scoped this one (without --root it would act on the live machine)
        assertThat(ok.out()).contains("Run 'chameleon tune --root " + root + " --no-default-policies " + f + " --yes' to run the trials.");
        Run seeded = cli("tune", f.toString(), "--root", root.toString(), "--no-default-policies", "--state-dir", tmp.resolve("s x").toString(),
                "--optimizer", "random", "--seed", "7");
        assertThat(seeded.out()).contains("Run 'chameleon tune --root " + root + " --no-default-policies --state-dir '" + tmp.resolve("s x")
                + "' --optimizer random --seed 7 " + f + " --yes' to run the trials.");
        assertThat(MachineTree.read(root, "/proc/sys/net/ipv4/tcp_congestion_control")).isEqualTo("cubic");
    }

    /** New-user trial: tune -o json printed a file's errors only as text. */
    @Test
    void badInputIsJsonWithMinusOJsonEveryErrorInLineOrder() throws Exception {
        Path f = Files.writeString(tmp.resolve("bad.yaml"), """
                apiVersion: chameleon/v1
                kind: Tuning
                spec:
                  objective: {probe: {command: [/bin/echo, '5']}, goal: upwards}
                  knobs:
                    - sysctl: {key: net.core.somaxconn}
                      choices: [lots]
                  budget: {trials: 2, time: 500ms}
                """);
        Run r = cli("tune", f.toString(), "--root", root.toString(), "--no-default-policies", "-o", "json");
        assertThat(r.code()).isEqualTo(ExitCode.BAD_INPUT);
        JsonNode doc = new ObjectMapper().readTree(r.out());
        assertThat(doc.get("ok").asBoolean()).isFalse();
        assertThat(doc.get("changed").asBoolean()).isFalse();
        List<Integer> lines = new java.util.ArrayList<>();
        doc.get("errors").forEach(e -> lines.add(e.get("line").asInt()));
        assertThat(lines).as(r.out()).hasSize(4).isSorted().containsExactly(1, 4, 7, 8); // metadata, goal, the choice, ms: one round
        assertThat(doc.get("errors").get(0).get("message").asText()).isEqualTo("a Tuning needs metadata, e.g. metadata: {name: web-latency}");
        Run table = cli("tune", f.toString(), "--root", root.toString(), "--no-default-policies");
        assertThat(table.err()).contains(f + ":1:1: error: a Tuning needs metadata").contains(f + ":7:16: error: choices must be a list of "
                + "at least two values, found 1 value").contains(f + ":8:29: error: spec.budget.time");
    }

    @Test
    void withoutYesItPrintsTheTrialPlanAndChangesNothing() throws Exception {
        Path f = tuning("  when: {condition: 'platform.hypervisor == \"vmware\"'}\n", "");
        Run r = cli("tune", f.toString(), "--root", root.toString(), "--no-default-policies");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("Tuning backlog (" + f + ":1) on hypervisor=vmware")
                .contains("  sysctl:net.core.somaxconn: now 4096; 2 value(s), 1024 .. 8192")
                .contains("budget: 2 trial(s)").contains("Nothing was changed.").doesNotContain("would not run now");
        Run json = cli("tune", f.toString(), "--root", root.toString(), "--no-default-policies", "-o", "json");
        JsonNode doc = new ObjectMapper().readTree(json.out());
        assertThat(doc.get("changed").asBoolean()).isFalse();
        assertThat(doc.get("knobs").get(0).get("current").asText()).isEqualTo("4096");
        assertThat(somaxconn()).isEqualTo("4096");
        assertThat(Files.exists(root.resolve("var/lib/chameleon"))).as("no journal was even started").isFalse();
    }

    @Test
    void aRunTriesEachValueThroughTheJournalPutsItBackAndProposes() throws Exception {
        Path f = tuning("  when: {condition: 'platform.hypervisor == \"vmware\"'}\n", "");
        Run r = cli("tune", f.toString(), "--yes", "--root", root.toString(), "--no-default-policies", "-o", "json");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        JsonNode doc = new ObjectMapper().readTree(r.out());
        assertThat(doc.get("trials")).hasSize(2);
        assertThat(doc.get("best").get("settings").get("sysctl:net.core.somaxconn").asText()).isEqualTo("8192");
        assertThat(doc.get("gain").get("percent").asDouble()).isEqualTo(100.0);
        assertThat(doc.get("gain").get("significant").asBoolean()).isTrue();
        assertThat(doc.get("restored").asBoolean()).isTrue();
        assertThat(doc.get("proposal").asText()).contains("platform.hypervisor == \"vmware\"").contains("value: 8192");
        // new-user trial: the header's approval hint acted on the live machine after a --root run
        assertThat(doc.get("proposal").asText()).contains("chameleon tune " + f + " --yes --approve --root " + root + " --no-default-policies, or copy this file"
                + " into " + root.resolve("etc/chameleon/policies.d") + "/.");
        assertThat(somaxconn()).isEqualTo("4096");
        Run history = cli("history", "--root", root.toString());
        assertThat(history.out()).contains("tune trial 1").contains("tune trial 2").contains("rolled-back");
        assertThat(r.err()).as("the steps, on stderr with -o json").contains("baseline: 4096").contains("trial 1: ");
    }

    @Test
    void trialsPerHourSpacesTheTrialsAndAWaitPastTheTimeBudgetEndsTheRun() throws Exception {
        // 1200 per hour: a trial starts at most every 3 s; the second trial waits for its turn
        Path f = Files.writeString(tmp.resolve("spaced.yaml"), Files.readString(tuning("", "")).replace("budget: {trials: 2}",
                "budget: {trials: 2, trialsPerHour: 1200}"));
        Run r = cli("tune", f.toString(), "--yes", "--no-confirm", "--root", root.toString(), "--no-default-policies", "-o", "json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode doc = new ObjectMapper().readTree(r.out());
        assertThat(doc.get("budget").get("trialsRun").asInt()).isEqualTo(2);
        assertThat(r.err()).contains("(budget.trialsPerHour 1200)");
        assertThat(doc.get("budget").get("elapsedSeconds").asDouble()).as("the second trial started 3 s after the first").isGreaterThanOrEqualTo(3.0);
        // with a 2 s time budget the second trial's turn comes too late: the run ends after one trial, without waiting
        Path g = Files.writeString(tmp.resolve("late.yaml"), Files.readString(tuning("", "")).replace("budget: {trials: 2}",
                "budget: {trials: 2, trialsPerHour: 1200, time: 2s}"));
        r = cli("tune", g.toString(), "--yes", "--no-confirm", "--root", root.toString(), "--no-default-policies", "-o", "json");
        doc = new ObjectMapper().readTree(r.out());
        assertThat(doc.get("budget").get("trialsRun").asInt()).as(r.err()).isLessThanOrEqualTo(1);
        assertThat(doc.get("budget").get("stoppedBy").asText()).isEqualTo("time");
        assertThat(r.err()).doesNotContain("waiting");
        assertThat(somaxconn()).isEqualTo("4096");
    }

    @Test
    void itRefusesWhenTheConditionDoesNotHoldOrOutsideTheWindow() throws Exception {
        Path f = tuning("  when: {condition: 'platform.hypervisor == \"kvm\"'}\n", "");
        Run r = cli("tune", f.toString(), "--yes", "--root", root.toString(), "--no-default-policies");
        assertThat(r.code()).isEqualTo(ExitCode.REFUSED);
        assertThat(r.err()).contains("not tuning now: spec.when.condition is false here: platform.hypervisor == \"kvm\"; nothing was changed");
        DateTimeFormatter hm = DateTimeFormatter.ofPattern("HH:mm");
        LocalTime later = LocalTime.now().plusHours(2);
        f = tuning("  when: {window: '" + later.format(hm) + "-" + later.plusHours(1).format(hm) + "'}\n", "");
        r = cli("tune", f.toString(), "--yes", "--root", root.toString(), "--no-default-policies");
        assertThat(r.code()).isEqualTo(ExitCode.REFUSED);
        assertThat(r.err()).contains("is outside spec.when.window");
        Run plan = cli("tune", f.toString(), "--root", root.toString(), "--no-default-policies");
        assertThat(plan.out()).contains("It would not run now: the local time");
        assertThat(somaxconn()).isEqualTo("4096");
        assertThat(Files.exists(root.resolve("var/lib/chameleon"))).isFalse();
    }

    @Test
    void badInputsAreRefusedWithNothingChanged() throws Exception {
        Path bad = Files.writeString(tmp.resolve("bad.yaml"), "apiVersion: chameleon/v1\nkind: Tuning\nmetadata: {name: x}\nspec:\n"
                + "  objective: {probe: {command: [/bin/true]}, goal: up}\n  knobs: []\n  budget: {trials: 1}\n");
        Run r = cli("tune", bad.toString(), "--yes", "--root", root.toString());
        assertThat(r.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.err()).contains(bad + ":5:52: error: spec.objective.goal must be maximise or minimise, found 'up'")
                .contains(bad + ":6:10: error: spec.knobs is empty");
        Path f = tuning("", "");
        assertThat(cli("tune", f.toString(), "--approve", "--root", root.toString()).err()).contains("--approve goes with --yes");
        assertThat(cli("tune", f.toString(), "--optimizer", "annealing", "--root", root.toString()).code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(cli("tune", f.toString(), "-o", "yaml", "--root", root.toString()).code()).isEqualTo(ExitCode.BAD_INPUT);
        // picocli reports a description it cannot format (a bare '%') on System.err and prints it raw
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream traced = new java.io.ByteArrayOutputStream();
        Run help;
        try {
            System.setErr(new java.io.PrintStream(traced, true, java.nio.charset.StandardCharsets.UTF_8));
            help = cli("tune", "--help");
        } finally {
            System.setErr(saved);
        }
        assertThat(help.out()).contains("the gain's 95% interval is above 0");
        assertThat(traced.toString(java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("Could not format");
        Path notExecutable = Files.writeString(tmp.resolve("probe.sh"), "echo 1\n");
        Path np = Files.writeString(tmp.resolve("np.yaml"), Files.readString(f).replace("/bin/cat, " + root.resolve("proc/sys/net/core/somaxconn"),
                notExecutable.toString()));
        r = cli("tune", np.toString(), "--root", root.toString(), "--no-default-policies");
        assertThat(r.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.err()).contains(np + ":5:22: spec.objective.probe.command '" + notExecutable + "' is not an executable file");
        // a knob this machine does not have: refused before the baseline, nothing written
        Path absent = tuning("", "    - sysctl: {key: net.ipv4.tcp_sack}\n      choices: [0, 1]\n");
        r = cli("tune", absent.toString(), "--yes", "--root", root.toString(), "--no-default-policies");
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.err()).contains(absent + ":9:7: knob sysctl:net.ipv4.tcp_sack cannot be tuned here");
        assertThat(somaxconn()).isEqualTo("4096");
    }

    /**
     * A knob over a per-element kind: {@code blockQueue} with a {@code select}, one knob giving
     * the same trial value to every disk the select matches. A stand-in for a real block device:
     * making one here (a loop device, null_blk) would touch the shared host's {@code /sys}, so the
     * disks are the machine tree's {@code /sys/block} files, written by the real actuator.
     */
    @Test
    void aBlockQueueKnobGivesEveryDiskItsSelectMatchesTheTrialValueAndPutsEachBack() throws Exception {
        for (String[] d : new String[][] {{"vda", "128"}, {"vdb", "256"}, {"sda", "64"}}) {
            MachineTree.write(root, "/sys/block/" + d[0] + "/queue/read_ahead_kb", d[1] + "\n");
            MachineTree.write(root, "/sys/block/" + d[0] + "/queue/rotational", "0\n");
            MachineTree.write(root, "/sys/block/" + d[0] + "/size", "16777216\n");
        }
        Path log = tmp.resolve("seen.log");
        String ra = root.resolve("sys/block").toString();
        // the probe logs what each disk holds while it measures, and scores vda's read-ahead
        Path f = Files.writeString(tmp.resolve("bq.yaml"), """
                apiVersion: chameleon/v1
                kind: Tuning
                metadata: {name: readahead}
                spec:
                  objective:
                    probe: {command: [/bin/sh, -c, 'echo $(cat %1$s/vda/queue/read_ahead_kb) $(cat %1$s/vdb/queue/read_ahead_kb) $(cat %1$s/sda/queue/read_ahead_kb) >> %2$s; cat %1$s/vda/queue/read_ahead_kb']}
                    goal: maximise
                    repeats: 1
                  knobs:
                    - blockQueue: {select: 'disk.virtio'}
                      field: read_ahead_kb
                      choices: [512, 4096]
                  budget: {trials: 2}
                  guardrail: {maxRegression: 100}
                """.formatted(ra, log));
        Run plan = cli("tune", f.toString(), "--root", root.toString(), "--no-default-policies", "-o", "json");
        assertThat(plan.code()).as(plan.err()).isZero();
        JsonNode knob = new ObjectMapper().readTree(plan.out()).get("knobs").get(0);
        assertThat(knob.get("key").asText()).isEqualTo("blockQueue:*/read_ahead_kb");
        assertThat(knob.get("current").asText()).as("two disks, two values: each named").isEqualTo("vda=128 vdb=256");

        Run r = cli("tune", f.toString(), "--yes", "--no-confirm", "--root", root.toString(), "--no-default-policies", "-o", "json");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        JsonNode doc = new ObjectMapper().readTree(r.out());
        assertThat(doc.get("trials")).hasSize(2);
        assertThat(doc.get("best").get("settings").get("blockQueue:*/read_ahead_kb").asText()).isEqualTo("4096");
        assertThat(doc.get("restored").asBoolean()).isTrue();
        assertThat(doc.get("proposal").asText()).contains("- blockQueue: {select: disk.virtio, read_ahead_kb: 4096}");
        // baseline, two trials (vda and vdb together; sda not selected), baseline again
        assertThat(Files.readAllLines(log)).containsExactlyInAnyOrder("128 256 64", "512 512 64", "4096 4096 64", "128 256 64");
        assertThat(MachineTree.read(root, "/sys/block/vda/queue/read_ahead_kb")).isEqualTo("128");
        assertThat(MachineTree.read(root, "/sys/block/vdb/queue/read_ahead_kb")).isEqualTo("256");
        // one change set per trial holds both disks: history shows each trial's two settings rolled back
        Run history = cli("history", "--root", root.toString());
        assertThat(history.out()).contains("tune trial 1").contains("tune trial 2");

        // a select matching no disk is an error at the knob before the baseline, not a run that changes nothing
        Path none = Files.writeString(tmp.resolve("none.yaml"), Files.readString(f).replace("'disk.virtio'", "'disk.name == \"nvme9n1\"'"));
        Files.delete(log);
        Run n = cli("tune", none.toString(), "--yes", "--root", root.toString(), "--no-default-policies");
        assertThat(n.code()).as(n.out() + n.err()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(n.err()).contains(none + ":10:7: knob blockQueue:*/read_ahead_kb matches no disk here");
        assertThat(log).as("no baseline was measured").doesNotExist();
        // issue 17: the excerpt and caret of the reader's errors, and every knob that matches nothing, at once
        assertThat(n.err()).contains("nothing was changed\n      - blockQueue: {select: 'disk.name == \"nvme9n1\"'}\n        ^");
        Path two = Files.writeString(tmp.resolve("two.yaml"), Files.readString(none).replace("  budget:",
                "    - blockQueue: {select: 'disk.name == \"nvme8n1\"'}\n      field: nr_requests\n      choices: [32, 64]\n  budget:"));
        Run both = cli("tune", two.toString(), "--root", root.toString(), "--no-default-policies", "-o", "json");
        assertThat(both.code()).as(both.out() + both.err()).isEqualTo(ExitCode.BAD_INPUT);
        JsonNode errs = new ObjectMapper().readTree(both.out()).get("errors");
        assertThat(errs).hasSize(2);
        assertThat(errs.get(0).get("line").asInt()).isEqualTo(10);
        assertThat(errs.get(0).get("excerpt").asText()).isEqualTo("    - blockQueue: {select: 'disk.name == \"nvme9n1\"'}");
        assertThat(errs.get(1).get("line").asInt()).isEqualTo(13);
        assertThat(errs.get(1).get("message").asText()).startsWith("knob blockQueue:*/nr_requests matches no disk here");
        assertThat(errs.get(1).get("excerpt").asText()).contains("nvme8n1");
    }

    /**
     * The agent in plan mode with a Tuning assigned (in its policy folder) never runs it, and says
     * so once: a {@code tuning} event (status {@code not-run}; events of that type also go to the
     * control plane) and a line in {@code chameleon status}.
     */
    @Test
    void theAgentInPlanModeSaysAnAssignedTuningIsNotRunAndRunsNoTrial() throws Exception {
        Path policies = Files.createDirectories(tmp.resolve("policies"));
        Files.copy(tuning("", ""), policies.resolve("backlog.yaml"));
        Path state = tmp.resolve("plan-state");
        java.util.concurrent.atomic.AtomicReference<Run> agent = new java.util.concurrent.atomic.AtomicReference<>();
        Thread t = new Thread(() -> agent.set(cli("run", "--root", root.toString(), "--state-dir", state.toString(), "--policies",
                policies.toString(), "--no-default-policies", "--interval", "1s", "--max-passes", "3", "--no-uevents")), "plan-agent");
        t.start();
        Run status = null;
        try {
            long until = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < until && t.isAlive()) {
                Run s = cli("status", "--state-dir", state.toString());
                if (s.code() == 0 && s.out().contains("Tunings:")) {
                    status = s;
                    break;
                }
                Thread.sleep(100);
            }
        } finally {
            t.join(60_000);
        }
        assertThat(t.isAlive()).as("the agent stops after its 3 passes").isFalse();
        assertThat(agent.get().code()).as(agent.get().err()).isZero();
        assertThat(status).as("chameleon status showed the assigned Tuning while the agent ran").isNotNull();
        assertThat(status.out()).contains("Agent pid").contains("mode plan")
                .contains("Tunings:\n  Tuning backlog assigned; not run: the agent is in plan mode");
        List<String> tuningEvents = Files.readAllLines(state.resolve("events.jsonl")).stream().filter(l -> l.contains("\"event\":\"tuning\""))
                .toList();
        assertThat(tuningEvents).as("said once, not at each of the 3 passes").singleElement().asString()
                .contains("\"tuning\":\"backlog\",\"status\":\"not-run\",\"message\":\"Tuning backlog assigned; not run: the agent is in plan mode\"");
        assertThat(agent.get().out()).as("its log line").contains("Tuning backlog assigned; not run: the agent is in plan mode");
        assertThat(somaxconn()).isEqualTo("4096");
        assertThat(state.resolve("tuning")).as("no run, no result").doesNotExist();
        Run history = cli("history", "--root", root.toString(), "--state-dir", state.toString());
        assertThat(history.out()).doesNotContain("tune trial");
    }

    /**
     * New-user trial: 'tune --recover' printed "Recovered." and exited 0 when the trial's value could not be put back.
     * A trial left applied as a killed run leaves it (the engine's own apply with a trial's trigger), then the
     * machine refuses the undo (the sysctl's file made a folder): the command says so and fails.
     */
    @Test
    void recoverThatCannotPutATrialBackFailsAndSaysSo() throws Exception {
        Path state = tmp.resolve("state-recover");
        dev.chameleon.engine.Engine e = dev.chameleon.engine.Engine.of(dev.chameleon.engine.EngineConfig.builder().root(root)
                .stateDir(state).builtinPolicies(false).systemPolicies(false).build());
        var applied = e.applySettings(List.of(new dev.chameleon.model.DesiredSetting(dev.chameleon.model.SettingKey.parse(
                "sysctl:net.core.somaxconn"), "8192", new dev.chameleon.model.Reason("tuning backlog", "t.yaml", 0, "true", List.of(), null))),
                "tune trial 1: sysctl:net.core.somaxconn=8192");
        assertThat(applied.ok()).as(applied.message()).isTrue();
        assertThat(somaxconn()).isEqualTo("8192");
        Path file = root.resolve("proc/sys/net/core/somaxconn");
        Files.delete(file);
        Files.createDirectory(file);
        Run r = cli("tune", "--recover", "--root", root.toString(), "--state-dir", state.toString());
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCode.FAILED);
        assertThat(r.out()).contains("COULD NOT fully undo change set " + applied.changeSet().id()).doesNotContain("Recovered.");
        assertThat(r.err()).contains("not fully recovered").contains("'chameleon history --root " + root + " --state-dir " + state + "'");
        // the journal keeps the change set, marked for the operator
        Run history = cli("history", "--root", root.toString(), "--state-dir", state.toString());
        assertThat(history.out()).contains(applied.changeSet().id()).contains("rollback-incomplete");
    }
}

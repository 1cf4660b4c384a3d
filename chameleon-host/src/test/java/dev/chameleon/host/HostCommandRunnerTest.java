package dev.chameleon.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real programs through the live runner: output, exit codes, timeouts, and that nothing a command
 * started survives it, checked in {@code /proc} ({@link ProcTable}). The hanging programs are real
 * shell scripts that fork {@code sleep} children (one in a subshell, re-parented at once) and then
 * hang, as a stuck {@code lspci} with helpers would.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a guard against a hang, not a timing claim
class HostCommandRunnerTest {
    final HostCommandRunner runner = new HostCommandRunner();

    @TempDir
    Path tmp;

    /** Every pid a hanging script wrote: none may be alive, and no process may be left in its group. */
    static void assertAllGone(Path pidFile) throws Exception {
        List<Long> pids = ProcTable.pidsIn(pidFile, 5);
        assertThat(pids).hasSize(4);
        long pgid = pids.get(0);
        assertThat(ProcTable.within(10, () -> pids.stream().noneMatch(ProcTable::alive) && ProcTable.liveMembers(pgid).isEmpty()))
                .as("still alive of %s: %s; in group %d: %s", pids, pids.stream().filter(ProcTable::alive).toList(), pgid,
                        ProcTable.liveMembers(pgid)).isTrue();
        assertThat(ProcessGroups.running()).doesNotContain(pgid);
    }

    @Test
    void runsAProgramWithItsOutputAndExitCode() {
        CommandResult r = runner.run(Command.of("/bin/sh", "-c", "echo out; echo err >&2; exit 3"), Duration.ofSeconds(30));
        assertThat(r.status()).isEqualTo(CommandResult.Status.RAN);
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("out\n");
        assertThat(r.stderr()).isEqualTo("err\n");
        assertThat(runner.run(Command.of("no-such-program-here")).status()).isEqualTo(CommandResult.Status.NOT_AVAILABLE);
    }

    /**
     * CI caught a health gate's message without its output: the runner destroyed the exited
     * process before reading, and {@code Process.destroy} closes the pipes the drains still read.
     * A short program that writes and exits at once, many times over, must keep every line.
     */
    @Test
    void theOutputOfAProgramThatExitedAtOnceIsNeverLost() {
        for (int i = 0; i < 300; i++) {
            CommandResult r = runner.run(Command.of("/bin/sh", "-c", "echo 'service unhealthy'; echo e >&2; exit 1"), Duration.ofSeconds(30));
            assertThat(r.exitCode()).as("run %d", i).isEqualTo(1);
            assertThat(r.stdout()).as("stdout of run %d", i).isEqualTo("service unhealthy\n");
            assertThat(r.stderr()).as("stderr of run %d", i).isEqualTo("e\n");
        }
    }

    @Test
    void aProgramPastItsTimeoutIsKilled() {
        CommandResult r = runner.run(Command.of("/bin/sleep", "300"), Duration.ofMillis(500));
        assertThat(r.status()).isEqualTo(CommandResult.Status.TIMED_OUT);
        assertThat(r.exitCode()).isEqualTo(-1);
    }

    @Test
    void theCommandRunsInAProcessGroupOfItsOwn() {
        CommandResult r = runner.run(Command.of("/bin/sh", "-c", "cut -d' ' -f5,6 /proc/$$/stat; echo $$"), Duration.ofSeconds(30));
        String[] lines = r.stdout().strip().split("\n");
        String pid = lines[1];
        assertThat(lines[0]).as("pgrp and session of the command").isEqualTo(pid + " " + pid);
        assertThat(ProcessGroups.running()).doesNotContain(Long.parseLong(pid));
    }

    @Test
    void aHungScriptPastItsTimeoutIsKilledWithEveryProcessItForked() throws Exception {
        Path pids = tmp.resolve("pid");
        CommandResult r = runner.run(new Command("hang", List.of(ProcTable.hangingScript(tmp, "hang", pids).toString())), Duration.ofSeconds(3));
        assertThat(r.status()).isEqualTo(CommandResult.Status.TIMED_OUT);
        assertThat(r.stderr()).isEqualTo("timed out after 3000 ms");
        assertAllGone(pids);
    }

    /** A sensor past its deadline is interrupted: the command and all it forked die with the wait. */
    @Test
    void anInterruptedCallerKillsTheWholeGroup() throws Exception {
        Path pids = tmp.resolve("pid");
        Command c = new Command("hang", List.of(ProcTable.hangingScript(tmp, "hang", pids).toString()));
        AtomicReference<CommandResult> result = new AtomicReference<>();
        Thread caller = new Thread(() -> result.set(runner.run(c, Duration.ofSeconds(600))));
        caller.start();
        long pgid = ProcTable.pidIn(pids, 30);
        assertThat(ProcTable.liveMembers(pgid)).hasSizeGreaterThanOrEqualTo(3);
        caller.interrupt();
        caller.join(30_000);
        assertThat(caller.isAlive()).isFalse();
        assertThat(result.get().status()).isEqualTo(CommandResult.Status.TIMED_OUT);
        assertThat(result.get().stderr()).contains("interrupted");
        assertAllGone(pids);
    }

    /** Interrupted before it starts (a deadline already passed): nothing is started at all. */
    @Test
    void anAlreadyInterruptedCallerStartsNothing() throws Exception {
        Path marker = tmp.resolve("ran");
        AtomicReference<CommandResult> result = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            Thread.currentThread().interrupt();
            result.set(runner.run(Command.of("/bin/sh", "-c", "touch " + marker), Duration.ofSeconds(30)));
        });
        caller.start();
        caller.join(30_000);
        assertThat(result.get().status()).isEqualTo(CommandResult.Status.TIMED_OUT);
        assertThat(result.get().stderr()).isEqualTo("not started: the caller was interrupted");
        assertThat(marker).doesNotExist();
    }

    /**
     * A program that exits but leaves a process behind holding its output ({@code cmd &}) does not
     * hold the caller (the agent's health gate), and the process it left is killed with its group.
     */
    @Test
    void aProcessLeftBehindInTheGroupIsKilledWhenTheProgramExits() throws Exception {
        CommandResult r = runner.run(Command.of("/bin/sh", "-c", "/bin/sleep 600 & echo $$ $!; exit 0"), Duration.ofSeconds(60));
        assertThat(r.status()).isEqualTo(CommandResult.Status.RAN);
        assertThat(r.exitCode()).isZero();
        String[] ids = r.stdout().strip().split(" ");
        long pgid = Long.parseLong(ids[0]);
        long left = Long.parseLong(ids[1]);
        assertThat(ProcTable.within(10, () -> !ProcTable.alive(left))).as("sleep %d left behind", left).isTrue();
        assertThat(ProcTable.liveMembers(pgid)).isEmpty();
    }

    /**
     * A daemon that leaves the group itself ({@code setsid}) and whose parent is gone is out of
     * the runner's reach; it still does not hold the caller although it holds the output pipe.
     */
    @Test
    void aDaemonThatLeftTheGroupDoesNotHoldTheCaller() throws Exception {
        Path pid = tmp.resolve("daemon");
        CommandResult r = runner.run(Command.of("/bin/sh", "-c", "( setsid /bin/sh -c 'echo $$ > " + pid + "; exec /bin/sleep 600' & ); "
                + "while [ ! -s " + pid + " ]; do sleep 0.1; done; echo done"), Duration.ofSeconds(60));
        try {
            assertThat(r.status()).isEqualTo(CommandResult.Status.RAN);
            assertThat(r.stdout()).isEqualTo("done\n");
        } finally {
            // not the runner's to kill (it left the group and the tree), but this test's to clean up
            ProcessHandle.of(ProcTable.pidIn(pid, 5)).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /** Output past {@link HostCommandRunner#MAX_OUTPUT_BYTES} is read and dropped: the program finishes. */
    @Test
    void endlessOutputIsCutNotBuffered() {
        CommandResult r = runner.run(Command.of("/bin/sh", "-c", "head -c 20000000 /dev/zero | tr '\\0' x; echo; exit 0"),
                Duration.ofSeconds(60));
        assertThat(r.status()).isEqualTo(CommandResult.Status.RAN);
        assertThat(r.stdout()).hasSize(HostCommandRunner.MAX_OUTPUT_BYTES);
    }

    /** Child JVM entry point: runs the hanging script ARGS[0] (pid file ARGS[1]) with a long timeout. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        new HostCommandRunner().run(new Command("hang", List.of(ProcTable.hangingScript(dir, "hang", Path.of(args[1])).toString())),
                Duration.ofSeconds(600));
    }

    /** The agent stopped (SIGTERM) while a command hangs: the command's whole group dies with it. */
    @Test
    void aJvmStoppedWhileACommandHangsTakesTheGroupWithIt() throws Exception {
        Path pids = tmp.resolve("pid");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process jvm = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), HostCommandRunnerTest.class.getName(),
                tmp.toString(), pids.toString()).redirectErrorStream(true).redirectOutput(tmp.resolve("jvm.log").toFile()).start();
        try {
            long pgid = ProcTable.pidIn(pids, 60);
            assertThat(ProcTable.liveMembers(pgid)).hasSizeGreaterThanOrEqualTo(3);
            jvm.destroy(); // SIGTERM: shutdown hooks run
            assertThat(jvm.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertAllGone(pids);
        } finally {
            jvm.destroyForcibly();
        }
    }
}

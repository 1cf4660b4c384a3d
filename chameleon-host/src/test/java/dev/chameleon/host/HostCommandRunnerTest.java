package dev.chameleon.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Real programs through the live runner: output, exit codes, timeouts. */
class HostCommandRunnerTest {
    final HostCommandRunner runner = new HostCommandRunner();

    @Test
    void runsAProgramWithItsOutputAndExitCode() {
        CommandResult r = runner.run(Command.of("/bin/sh", "-c", "echo out; echo err >&2; exit 3"), Duration.ofSeconds(30));
        assertThat(r.status()).isEqualTo(CommandResult.Status.RAN);
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("out\n");
        assertThat(r.stderr()).isEqualTo("err\n");
        assertThat(runner.run(Command.of("no-such-program-here")).status()).isEqualTo(CommandResult.Status.NOT_AVAILABLE);
    }

    @Test
    void aProgramPastItsTimeoutIsKilled() {
        CommandResult r = runner.run(Command.of("/bin/sleep", "300"), Duration.ofMillis(500));
        assertThat(r.status()).isEqualTo(CommandResult.Status.TIMED_OUT);
        assertThat(r.exitCode()).isEqualTo(-1);
    }

    /**
     * A program that exits but leaves a process behind holding its output (a daemon it started,
     * {@code cmd &}) does not hold the caller (the agent's health gate) until that process ends: the
     * JDK drains and closes a child's pipes when the child exits.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS) // a guard against a hang, not a timing claim
    void aProcessLeftBehindHoldingTheOutputDoesNotHoldTheCaller() throws Exception {
        CommandResult r = runner.run(Command.of("/bin/sh", "-c", "/bin/sleep 600 & echo $!; exit 0"), Duration.ofSeconds(60));
        assertThat(r.status()).isEqualTo(CommandResult.Status.RAN);
        assertThat(r.exitCode()).isZero();
        long left = Long.parseLong(r.stdout().strip());
        // not this runner's to kill (no longer the program's child), but this test's to clean up
        ProcessHandle.of(left).ifPresent(ProcessHandle::destroyForcibly);
    }
}

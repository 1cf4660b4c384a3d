package dev.chameleon.cli.vm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Boots one scenario: writes its overlay archive (/scenario.sh + one script per step), appends it
 * to the base initramfs, runs {@code qemu-system-x86_64 -accel tcg} until the guest powers off
 * (or the scenario's timeout kills it) and keeps the whole console in {@code target/vm/NAME.log}.
 */
final class QemuGuest {
    static final String QEMU = "qemu-system-x86_64";
    static final String BASE_APPEND = "console=ttyS0 quiet panic=-1";

    /** Outcome of one boot; {@code console} is parsed even when the guest timed out. */
    record Boot(VmScenario scenario, List<String> command, Path log, ConsoleLog console,
                boolean timedOut, int qemuExitCode, Duration elapsed) {
        String describe() {
            return String.format("qemu %s after %.1f s (exit code %d)%s; guest /init at %s s, scenario done at %s s "
                            + "uptime; console log %s",
                    timedOut ? "KILLED by the harness" : "exited", elapsed.toMillis() / 1000.0, qemuExitCode,
                    timedOut ? " — timeout of " + scenario.timeoutSeconds() + " s" : "",
                    console.bootedUptime().map(String::valueOf).orElse("?"),
                    console.doneUptime().map(String::valueOf).orElse("?"), log);
        }
    }

    private QemuGuest() {
    }

    static Boot boot(GuestImage image, VmScenario scenario) throws IOException, InterruptedException {
        Path dir = image.workDir().resolve(scenario.name());
        Files.createDirectories(dir);

        Path disk = dir.resolve("disk.img");
        Files.deleteIfExists(disk);
        try (RandomAccessFile raf = new RandomAccessFile(disk.toFile(), "rw")) {
            raf.setLength(scenario.diskMb() * 1024L * 1024L);
        }

        Path initrd = dir.resolve("initramfs.cpio.gz");
        try (OutputStream out = Files.newOutputStream(initrd)) {
            Files.copy(image.initrd(), out);
            out.write(overlay(scenario).toGzip());
        }

        List<String> cmd = new ArrayList<>(List.of(
                QEMU, "-accel", "tcg", "-m", String.valueOf(scenario.memoryMb()), "-smp", "2",
                // no default NIC/VGA/CD-ROM/floppy: the scenario adds exactly the platform's devices
                "-nodefaults", "-no-user-config",
                "-nographic", "-serial", "stdio", "-monitor", "none", "-no-reboot",
                "-kernel", image.kernel().toString(), "-initrd", initrd.toString(),
                "-append", (BASE_APPEND + " " + scenario.kernelArgs()).strip()));
        for (String arg : scenario.qemu()) {
            cmd.add(arg.replace("@DISK@", disk.toString()));
        }

        Path log = image.workDir().resolve(scenario.name() + ".log");
        long start = System.nanoTime();
        Process qemu;
        try {
            qemu = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
        } catch (IOException e) {
            throw new IOException("cannot start " + QEMU + " (install qemu-system-x86; vm/build-guest.sh does that "
                    + "when run as root): " + e.getMessage(), e);
        }
        Thread killer = new Thread(() -> kill(qemu));
        Runtime.getRuntime().addShutdownHook(killer);
        StringBuilder console = new StringBuilder();
        Thread pump = new Thread(() -> pump(qemu.getInputStream(), log, console), "qemu-console-" + scenario.name());
        pump.setDaemon(true);
        pump.start();
        boolean timedOut = false;
        try {
            if (!qemu.waitFor(scenario.timeoutSeconds(), TimeUnit.SECONDS)) {
                timedOut = true;
                kill(qemu);
            }
        } finally {
            if (qemu.isAlive()) {   // interrupted: never leave QEMU behind
                kill(qemu);
            }
            Runtime.getRuntime().removeShutdownHook(killer);
        }
        pump.join(10_000);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        String text;
        synchronized (console) {
            text = console.toString();
        }
        Files.writeString(log, "\n[harness] " + shellQuoted(cmd) + "\n[harness] "
                + (timedOut ? "killed after timeout" : "exit code " + qemu.exitValue())
                + String.format(" after %.1f s%n", elapsed.toMillis() / 1000.0),
                StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        return new Boot(scenario, List.copyOf(cmd), log, ConsoleLog.parse(text), timedOut,
                timedOut ? -1 : qemu.exitValue(), elapsed);
    }

    /** The command as one line that can be pasted into a shell, to rerun a scenario by hand. */
    static String shellQuoted(List<String> cmd) {
        StringBuilder b = new StringBuilder();
        for (String arg : cmd) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(arg.matches("[A-Za-z0-9_./=:,@+-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'");
        }
        return b.toString();
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void pump(InputStream in, Path log, StringBuilder console) {
        byte[] buf = new byte[8192];
        try (in; OutputStream out = Files.newOutputStream(log)) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
                synchronized (console) {
                    console.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                }
            }
        } catch (IOException e) {
            synchronized (console) {
                console.append("\n[harness] console read failed: ").append(e).append('\n');
            }
        }
    }

    /** The per-scenario archive: /scenario.sh and /steps/NN.sh with each step's text. */
    static NewcCpio overlay(VmScenario scenario) {
        NewcCpio cpio = new NewcCpio();
        StringBuilder sh = new StringBuilder("""
                #!/bin/sh
                # generated by QemuGuest from the scenario file; each step's stdout and stderr are
                # captured separately and printed between markers the test parses.
                mkdir -p /tmp/steps
                up() { cut -d' ' -f1 /proc/uptime; }
                show() { cat "$1"; if [ -s "$1" ] && [ -n "$(tail -c1 "$1")" ]; then echo; fi; }
                step() {
                  name=$1; idx=$2; secs=$3
                  echo "=== STEP $name BEGIN ==="
                  t0=$(up)
                  (cd /root && timeout -s KILL "$secs" sh "/steps/$idx.sh") \\
                    >"/tmp/steps/$idx.out" 2>"/tmp/steps/$idx.err" </dev/null
                  rc=$?
                  t1=$(up)
                  show "/tmp/steps/$idx.out"
                  echo "=== STEP $name STDERR ==="
                  show "/tmp/steps/$idx.err"
                  echo "=== STEP $name END rc=$rc took=$(awk "BEGIN{printf \\"%.2f\\", $t1 - $t0}")s ==="
                  [ "$rc" -eq 0 ] || failed=$((failed + 1))
                }
                failed=0
                """);
        int i = 0;
        for (VmScenario.Step step : scenario.steps()) {
            String idx = String.format("%02d", ++i);
            cpio.file("steps/" + idx + ".sh", step.run().endsWith("\n") ? step.run() : step.run() + "\n", 0755);
            sh.append("step ").append(step.name()).append(' ').append(idx).append(' ')
                    .append(step.timeoutSeconds()).append('\n');
        }
        sh.append("exit $failed\n");
        cpio.file("scenario.sh", sh.toString(), 0755);
        return cpio;
    }
}

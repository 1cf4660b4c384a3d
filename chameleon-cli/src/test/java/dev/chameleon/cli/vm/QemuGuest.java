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
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Boots one {@link BootGroup}: writes its overlay archive (/scenario.sh, one script per step, the
 * guest helpers of {@code vm/guest/} and the scenarios' {@code files}), appends it to the base
 * initramfs, runs {@code qemu-system-x86_64 -accel tcg} until the guest powers off (or the group's
 * timeout kills it) and keeps the whole console in {@code target/vm/NAME.log}. A machine with
 * {@code qmp} actions gets a QMP socket, and a {@link HotplugDriver} answers the guest's requests.
 */
final class QemuGuest {
    static final String QEMU = "qemu-system-x86_64";
    static final String BASE_APPEND = "console=ttyS0 quiet panic=-1";
    /** Console lines the guest prints in live mode (a step's stdout as it is written); ConsoleLog skips them. */
    static final String LIVE_PREFIX = "~live~ ";

    /** Outcome of one boot; {@code console} is parsed even when the guest timed out. */
    record Boot(BootGroup group, List<String> command, Path log, ConsoleLog console,
                boolean timedOut, int qemuExitCode, Duration elapsed, List<HotplugDriver.Hotplug> hotplugs) {
        String describe() {
            return String.format("qemu %s after %.1f s (exit code %d)%s; guest /init at %s s, last scenario done at %s s "
                            + "uptime; console log %s",
                    timedOut ? "KILLED by the harness" : "exited", elapsed.toMillis() / 1000.0, qemuExitCode,
                    timedOut ? " — timeout of " + group.timeoutSeconds() + " s" : "",
                    console.bootedUptime().map(String::valueOf).orElse("?"),
                    console.doneUptime().map(String::valueOf).orElse("?"), log);
        }
    }

    private QemuGuest() {
    }

    /**
     * Boots the group and waits for the guest to power off.
     *
     * @param live     null, or where each console line goes as it arrives (the demo); the guest then
     *                 also streams each step's stdout while the step runs
     */
    static Boot boot(GuestImage image, BootGroup group, java.util.function.Consumer<String> live)
            throws IOException, InterruptedException {
        VmMachine machine = group.machine();
        Path dir = image.workDir().resolve(group.name());
        Files.createDirectories(dir);

        try (java.util.stream.Stream<Path> old = Files.list(dir)) {
            for (Path p : old.filter(p -> p.getFileName().toString().matches("(hot)?disk.*\\.img")).toList()) {
                Files.delete(p);
            }
        }

        Path initrd = dir.resolve("initramfs.cpio.gz");
        try (OutputStream out = Files.newOutputStream(initrd)) {
            Files.copy(image.initrd(), out);
            out.write(overlay(group).toGzip());
        }

        Path qmpSocket = dir.resolve("qmp.sock");
        Files.deleteIfExists(qmpSocket);
        List<String> cmd = new ArrayList<>(List.of(
                QEMU, "-accel", "tcg", "-m", String.valueOf(machine.memoryMb()), "-smp", machine.smp(),
                // no default NIC/VGA/CD-ROM/floppy: the scenario adds exactly the platform's devices
                "-nodefaults", "-no-user-config",
                "-nographic", "-serial", "stdio", "-monitor", "none", "-no-reboot",
                "-kernel", image.kernel().toString(), "-initrd", initrd.toString(),
                "-append", (BASE_APPEND + " " + machine.kernelArgs() + (live != null ? " chameleon.live=1" : "")).strip()));
        if (!machine.qmp().isEmpty()) {
            cmd.addAll(List.of("-qmp", "unix:" + qmpSocket + ",server=on,wait=off"));
        }
        for (String arg : machine.qemu()) {
            cmd.add(disks(arg, dir, machine.diskMb()));
        }

        Path log = image.workDir().resolve(group.name() + ".log");
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
        HotplugDriver hotplug = machine.qmp().isEmpty() ? null : new HotplugDriver(machine, qmpSocket, dir);
        Thread killer = new Thread(() -> kill(qemu));
        Runtime.getRuntime().addShutdownHook(killer);
        StringBuilder console = new StringBuilder();
        Thread pump = new Thread(() -> pump(qemu.getInputStream(), log, console, hotplug, live), "qemu-console-" + group.name());
        pump.setDaemon(true);
        pump.start();
        boolean timedOut = false;
        try {
            if (!qemu.waitFor(group.timeoutSeconds(), TimeUnit.SECONDS)) {
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
        if (hotplug != null) {
            hotplug.close();
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        String text;
        synchronized (console) {
            text = console.toString();
        }
        List<HotplugDriver.Hotplug> hotplugs = hotplug == null ? List.of() : hotplug.results();
        StringBuilder tail = new StringBuilder("\n[harness] " + shellQuoted(cmd) + "\n");
        for (HotplugDriver.Hotplug h : hotplugs) {
            tail.append("[harness] ").append(h.describe()).append('\n');
            h.transcript().forEach(t -> tail.append("[harness]   qmp ").append(t).append('\n'));
        }
        tail.append("[harness] ").append(timedOut ? "killed after timeout" : "exit code " + qemu.exitValue())
                .append(String.format(" after %.1f s%n", elapsed.toMillis() / 1000.0));
        Files.writeString(log, tail, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        return new Boot(group, List.copyOf(cmd), log, ConsoleLog.parse(text), timedOut,
                timedOut ? -1 : qemu.exitValue(), elapsed, hotplugs);
    }

    private static final java.util.regex.Pattern DISK = java.util.regex.Pattern.compile("@DISK([0-9]?)@");

    /** Replaces each {@code @DISK@}, {@code @DISK2@}, ... by a fresh sparse raw file of {@code mb} MB in {@code dir}. */
    static String disks(String arg, Path dir, int mb) throws IOException {
        java.util.regex.Matcher m = DISK.matcher(arg);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            Path disk = dir.resolve("disk" + m.group(1) + ".img");
            if (!Files.exists(disk)) {
                try (RandomAccessFile raf = new RandomAccessFile(disk.toFile(), "rw")) {
                    raf.setLength(mb * 1024L * 1024L);
                }
            }
            m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(disk.toString()));
        }
        m.appendTail(out);
        return out.toString();
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

    private static void pump(InputStream in, Path log, StringBuilder console, HotplugDriver hotplug,
                             java.util.function.Consumer<String> live) {
        byte[] buf = new byte[8192];
        StringBuilder line = new StringBuilder();
        try (in; OutputStream out = Files.newOutputStream(log)) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
                String chunk = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                synchronized (console) {
                    console.append(chunk);
                }
                if (hotplug == null && live == null) {
                    continue;
                }
                long now = System.nanoTime();
                for (int i = 0; i < chunk.length(); i++) {
                    char c = chunk.charAt(i);
                    if (c == '\n') {
                        String l = line.toString().replace("\r", "");
                        line.setLength(0);
                        if (hotplug != null) {
                            hotplug.line(l, now);
                        }
                        if (live != null) {
                            live.accept(l);
                        }
                    } else {
                        line.append(c);
                    }
                }
            }
        } catch (IOException e) {
            synchronized (console) {
                console.append("\n[harness] console read failed: ").append(e).append('\n');
            }
        }
    }

    /**
     * The boot's archive: /scenario.sh running every scenario's steps in order, /steps/NN.sh with
     * each step's text, the guest helpers (resources {@code vm/guest/*} as /usr/local/bin/NAME) and
     * each scenario's {@code files}.
     */
    static NewcCpio overlay(BootGroup group) throws IOException {
        NewcCpio cpio = new NewcCpio();
        for (Map.Entry<String, String> helper : GuestHelpers.all().entrySet()) {
            cpio.file("usr/local/bin/" + helper.getKey(), helper.getValue(), 0755);
        }
        StringBuilder sh = new StringBuilder("""
                #!/bin/sh
                # generated by QemuGuest from the scenario files; each step's stdout and stderr are
                # captured separately and printed between markers the test parses.
                export PATH=/usr/local/bin:$PATH
                mkdir -p /tmp/steps
                up() { cut -d' ' -f1 /proc/uptime; }
                show() { cat "$1"; if [ -s "$1" ] && [ -n "$(tail -c1 "$1")" ]; then echo; fi; }
                live=0; grep -qw chameleon.live=1 /proc/cmdline && live=1
                # live mode (the demo): a step's complete stdout lines as they are written
                stream() {
                  n=0
                  while :; do
                    [ -e "$1.done" ] && last=1 || last=0
                    c=$(wc -l <"$1")
                    if [ "$c" -gt "$n" ]; then sed -n "$((n + 1)),${c}p" "$1" | sed 's/^/~live~ /'; n=$c; fi
                    [ $last = 1 ] && break
                    usleep 300000
                  done
                }
                step() {
                  name=$1; idx=$2; secs=$3
                  echo "=== STEP $name BEGIN ==="
                  : >"/tmp/steps/$idx.out"
                  if [ $live = 1 ]; then stream "/tmp/steps/$idx.out" & streamer=$!; fi
                  t0=$(up)
                  (cd /root && timeout -s KILL "$secs" sh "/steps/$idx.sh") \\
                    >>"/tmp/steps/$idx.out" 2>"/tmp/steps/$idx.err" </dev/null
                  rc=$?
                  t1=$(up)
                  if [ $live = 1 ]; then touch "/tmp/steps/$idx.out.done"; wait $streamer; fi
                  show "/tmp/steps/$idx.out"
                  echo "=== STEP $name STDERR ==="
                  show "/tmp/steps/$idx.err"
                  echo "=== STEP $name END rc=$rc took=$(awk "BEGIN{printf \\"%.2f\\", $t1 - $t0}")s ==="
                  [ "$rc" -eq 0 ] || failed=$((failed + 1))
                }
                scenario() {
                  export SCENARIO=$1 STATE=/tmp/state-$1
                  mkdir -p /root
                  echo "=== SCENARIO $1 $2 uptime=$(up) ==="
                }
                failed=0
                """);
        int i = 0;
        for (VmScenario scenario : group.scenarios()) {
            for (Map.Entry<String, String> f : scenario.files().entrySet()) {
                cpio.file(f.getKey().substring(1), f.getValue(), 0644);
            }
            sh.append("scenario ").append(scenario.name()).append(" BEGIN\n");
            for (VmScenario.Step step : scenario.steps()) {
                String idx = String.format("%02d", ++i);
                cpio.file("steps/" + idx + ".sh", step.run().endsWith("\n") ? step.run() : step.run() + "\n", 0755);
                sh.append("step ").append(scenario.name()).append('/').append(step.name()).append(' ').append(idx).append(' ')
                        .append(step.timeoutSeconds()).append('\n');
            }
            sh.append("scenario ").append(scenario.name()).append(" END\n");
        }
        sh.append("exit $failed\n");
        cpio.file("scenario.sh", sh.toString(), 0755);
        return cpio;
    }
}

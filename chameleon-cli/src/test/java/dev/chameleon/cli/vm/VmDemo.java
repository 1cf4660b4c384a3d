package dev.chameleon.cli.vm;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./chameleon demo SCENARIO} (through {@code vm/demo.sh}): boots one VM scenario alone and
 * shows live what the agent inside sees and does — each step's command and its output as it is
 * written, the QMP hotplugs — then each step's verdict. Exit code 0 when every expectation of the
 * scenario held, 1 when one did not (or the guest did not finish), 2 for a bad command line.
 * {@code --list} names the scenarios. Needs the system properties {@code chameleon.jar} and
 * {@code chameleon.repo} (the script sets them).
 */
public final class VmDemo {
    private VmDemo() {
    }

    public static void main(String[] args) {
        int code;
        try {
            code = run(args, System.out);
        } catch (Exception e) {
            System.out.flush();
            System.err.println("demo: " + e.getMessage());
            code = 1;
        }
        System.out.flush();
        System.exit(code);
    }

    static int run(String[] args, PrintStream out) throws Exception {
        if (args.length != 1 || args[0].equals("--help") || args[0].equals("-h")) {
            out.println("usage: ./chameleon demo SCENARIO    boot the scenario's guest and show what the agent does");
            out.println("       ./chameleon demo --list      name the scenarios");
            return args.length == 1 ? 0 : 2;
        }
        if (args[0].equals("--list")) {
            for (VmScenario s : VmSuite.scenarios(Set.of())) {
                out.printf("%-13s %s%s%n", s.name(), s.description(), s.machine() == null ? "" : "  [machine " + s.machine() + "]");
            }
            return 0;
        }
        List<String> names = VmSuite.names();
        if (!names.contains(args[0])) {
            out.println("demo: no scenario '" + args[0] + "'; the scenarios are: " + String.join(", ", names));
            return 2;
        }
        VmScenario scenario = VmSuite.scenarios(Set.of(args[0])).get(0);
        BootGroup group = new BootGroup(scenario.machineIn(VmSuite.resourceDir("vm/machines")), List.of(scenario));
        out.println("Scenario " + scenario.name() + ": " + scenario.description());
        out.println("Machine  " + group.name() + (group.machine().description().isEmpty() ? "" : ": " + group.machine().description()));
        out.println("Building the guest (kernel, busybox, a jlinked JRE and the agent; cached under /var/cache/chameleon-vm) ...");
        GuestImage image = GuestImage.get();
        out.println("Booting it under QEMU (TCG: software emulation, every step is 10-50x slower than on a real CPU) ...");
        Live live = new Live(out, scenario);
        QemuGuest.Boot boot = QemuGuest.boot(image, group, live);
        out.println();
        out.println("Result (console: " + boot.log() + ")");
        int failed = 0;
        int stepsOk = 0;
        for (VmScenario.Step step : scenario.steps()) {
            ConsoleLog.StepOutput o = boot.console().steps().get(scenario.name() + "/" + step.name());
            List<String> problems = o == null ? List.of("did not run to its end") : StepExpectations.check(step, o);
            out.printf("  %s %-26s %s%n", problems.isEmpty() ? "ok  " : "FAIL", step.name(),
                    o == null ? "" : String.format("%.1f s", o.seconds()));
            problems.forEach(p -> out.println("         - " + p));
            failed += problems.isEmpty() ? 0 : 1;
            stepsOk += problems.isEmpty() ? 1 : 0;
        }
        for (HotplugDriver.Hotplug h : boot.hotplugs()) {
            out.println("  " + h.describe());
            failed += h.error() == null ? 0 : 1;
        }
        boolean finished = !boot.timedOut() && boot.console().scenarioSeconds(scenario.name()) >= 0;
        if (!finished) {
            out.println("  FAIL the guest did not finish: " + boot.describe());
        }
        out.printf("%s: %d of %d steps as expected, %.1f s in the guest, %.1f s in all%n",
                failed == 0 && finished ? "PASSED" : "FAILED", stepsOk, scenario.steps().size(), boot.console().scenarioSeconds(scenario.name()), boot.elapsed().toMillis() / 1000.0);
        return failed == 0 && finished ? 0 : 1;
    }

    /** Turns the guest's console into a readable running account. */
    static final class Live implements Consumer<String> {
        private static final Pattern BEGIN = Pattern.compile("=== STEP \\S+/(\\S+) BEGIN ===");
        private static final Pattern STDERR = Pattern.compile("=== STEP \\S+ STDERR ===");
        private static final Pattern END = Pattern.compile("=== STEP \\S+ END rc=(\\d+) took=([0-9.]+)s ===");
        private static final int STDERR_LINES = 15;

        private final PrintStream out;
        private final Map<String, String> commands = new LinkedHashMap<>();
        private boolean booted;
        private int state;   // 0 outside a step, 1 stdout (already streamed), 2 stderr
        private int stderrLines;

        Live(PrintStream out, VmScenario scenario) {
            this.out = out;
            scenario.steps().forEach(s -> commands.put(s.name(), s.run().strip()));
        }

        @Override
        public void accept(String raw) {
            String line = raw.replaceAll("\u001B(?:\\[[0-9;?]*[A-Za-z]|[A-Za-z])", "");
            Matcher m;
            if (line.startsWith("CHAMELEON-VM-BOOTED")) {
                booted = true;
                out.println("Guest up: " + line.substring("CHAMELEON-VM-BOOTED ".length()));
            } else if (!booted) {
                return;
            } else if ((m = BEGIN.matcher(line)).matches()) {
                state = 1;
                stderrLines = 0;
                out.println();
                out.println("── " + m.group(1));
                for (String l : commands.getOrDefault(m.group(1), "").split("\n")) {
                    out.println("   $ " + l);
                }
            } else if (line.startsWith(QemuGuest.LIVE_PREFIX)) {
                out.println("   │ " + line.substring(QemuGuest.LIVE_PREFIX.length()));
            } else if (line.startsWith("CHAMELEON-QMP ")) {
                out.println("   ⇢ host: QMP hotplug '" + line.substring(14).strip() + "' (device_add)");
            } else if (line.startsWith("CHAMELEON-HOTPLUG-DONE ")) {
                out.println("   ⇠ guest: '" + line.substring(23).strip() + "' in place");
            } else if (STDERR.matcher(line).matches()) {
                state = 2;
            } else if ((m = END.matcher(line)).matches()) {
                if (stderrLines > STDERR_LINES) {
                    out.println("   ! ... (" + (stderrLines - STDERR_LINES) + " more stderr lines in the console log)");
                }
                out.println("   exit " + m.group(1) + " after " + m.group(2) + " s");
                state = 0;
            } else if (state == 2 && !line.isBlank()) {
                if (++stderrLines <= STDERR_LINES) {
                    out.println("   ! " + line);
                }
            } else if (line.startsWith("CHAMELEON-VM-DONE")) {
                out.println();
                out.println("Guest done: " + line.substring("CHAMELEON-VM-DONE ".length()));
            }
        }
    }
}

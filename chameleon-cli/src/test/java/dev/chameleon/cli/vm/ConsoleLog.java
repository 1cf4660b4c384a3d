package dev.chameleon.cli.vm;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The guest's serial console, split by the markers that {@code /init} and the generated
 * {@code /scenario.sh} print:
 *
 * <pre>
 * CHAMELEON-VM-BOOTED uptime=4.22 kernel=6.1.0-56-amd64
 * === SCENARIO vmware BEGIN uptime=4.30 ===
 * === STEP vmware/detect BEGIN ===
 * ...stdout...
 * === STEP vmware/detect STDERR ===
 * ...stderr...
 * === STEP vmware/detect END rc=0 took=1.52s ===
 * === SCENARIO vmware END uptime=7.80 ===
 * CHAMELEON-VM-DONE rc=0 uptime=7.88
 * </pre>
 *
 * Lines a step writes to the console itself while it runs ({@code CHAMELEON-QMP ...},
 * {@code CHAMELEON-HOTPLUG-DONE ...}) and the live copies of its stdout ({@code ~live~ ...}) are
 * not part of its captured output.
 *
 * @param text      the console with carriage returns and terminal escape sequences removed
 * @param steps     finished steps by name ({@code scenario/step}), in order
 * @param scenarios guest uptime (s) at each scenario's begin and end marker, by scenario name
 */
record ConsoleLog(String text, Map<String, StepOutput> steps, Map<String, double[]> scenarios) {
    private static final Pattern ANSI = Pattern.compile("\u001B(?:\\[[0-9;?]*[A-Za-z]|[A-Za-z])");
    private static final Pattern BEGIN = Pattern.compile("=== STEP (\\S+) BEGIN ===");
    private static final Pattern STDERR = Pattern.compile("=== STEP (\\S+) STDERR ===");
    private static final Pattern END = Pattern.compile("=== STEP (\\S+) END rc=(\\d+)(?: took=([0-9.]+)s)? ===");
    private static final Pattern DONE = Pattern.compile("(?m)^CHAMELEON-VM-DONE rc=(\\d+)(?: uptime=([0-9.]+))?");
    private static final Pattern BOOTED = Pattern.compile("(?m)^CHAMELEON-VM-BOOTED uptime=([0-9.]+)");
    private static final Pattern SCENARIO = Pattern.compile("=== SCENARIO (\\S+) (BEGIN|END) uptime=([0-9.]+) ===");

    /** What one step printed; {@code seconds} is its wall time in the guest, -1 when unknown. */
    record StepOutput(String name, String stdout, String stderr, int exitCode, double seconds) {
        String combined() {
            return stderr.isEmpty() ? stdout : stdout + "\n--- stderr ---\n" + stderr;
        }
    }

    static ConsoleLog parse(String raw) {
        String text = ANSI.matcher(raw.replace("\r", "")).replaceAll("");
        Map<String, StepOutput> steps = new LinkedHashMap<>();
        Map<String, double[]> scenarios = new LinkedHashMap<>();
        String current = null;
        StringBuilder out = new StringBuilder();
        StringBuilder err = new StringBuilder();
        StringBuilder sink = out;
        for (String line : text.split("\n", -1)) {
            Matcher m;
            if (line.startsWith(QemuGuest.LIVE_PREFIX) || line.startsWith("CHAMELEON-QMP ")
                    || line.startsWith("CHAMELEON-HOTPLUG-DONE ")) {
                continue;
            }
            if ((m = SCENARIO.matcher(line)).matches()) {
                double[] t = scenarios.computeIfAbsent(m.group(1), k -> new double[] {-1, -1});
                t[m.group(2).equals("BEGIN") ? 0 : 1] = Double.parseDouble(m.group(3));
            } else if ((m = BEGIN.matcher(line)).matches()) {
                current = m.group(1);
                out.setLength(0);
                err.setLength(0);
                sink = out;
            } else if (current != null && (m = STDERR.matcher(line)).matches() && m.group(1).equals(current)) {
                sink = err;
            } else if (current != null && (m = END.matcher(line)).matches() && m.group(1).equals(current)) {
                double secs = m.group(3) == null ? -1 : Double.parseDouble(m.group(3));
                steps.put(current, new StepOutput(current, strip(out), strip(err), Integer.parseInt(m.group(2)), secs));
                current = null;
            } else if (current != null) {
                sink.append(line).append('\n');
            }
        }
        return new ConsoleLog(text, Collections.unmodifiableMap(steps), Collections.unmodifiableMap(scenarios));
    }

    private static String strip(StringBuilder b) {
        return b.toString().stripTrailing();
    }

    /** Exit code of /scenario.sh as reported by /init, if the guest got that far. */
    Optional<Integer> doneExitCode() {
        Matcher m = DONE.matcher(text);
        return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
    }

    /** Guest uptime (s) when /init started, if printed. */
    Optional<Double> bootedUptime() {
        Matcher m = BOOTED.matcher(text);
        return m.find() ? Optional.of(Double.parseDouble(m.group(1))) : Optional.empty();
    }

    /** Guest uptime (s) when /scenario.sh finished, if printed. */
    Optional<Double> doneUptime() {
        Matcher m = DONE.matcher(text);
        return m.find() && m.group(2) != null ? Optional.of(Double.parseDouble(m.group(2))) : Optional.empty();
    }

    /** Seconds of guest time the scenario took (begin to end marker), or -1 when it did not finish. */
    double scenarioSeconds(String name) {
        double[] t = scenarios.get(name);
        return t == null || t[0] < 0 || t[1] < 0 ? -1 : t[1] - t[0];
    }

    /** The last {@code n} lines, for failure messages. */
    String tail(int n) {
        List<String> lines = text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }
}

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
 * === STEP detect BEGIN ===
 * ...stdout...
 * === STEP detect STDERR ===
 * ...stderr...
 * === STEP detect END rc=0 took=1.52s ===
 * CHAMELEON-VM-DONE rc=0 uptime=7.88
 * </pre>
 *
 * @param text  the console with carriage returns and terminal escape sequences removed
 * @param steps finished steps by name, in order
 */
record ConsoleLog(String text, Map<String, StepOutput> steps) {
    private static final Pattern ANSI = Pattern.compile("\u001B(?:\\[[0-9;?]*[A-Za-z]|[A-Za-z])");
    private static final Pattern BEGIN = Pattern.compile("=== STEP (\\S+) BEGIN ===");
    private static final Pattern STDERR = Pattern.compile("=== STEP (\\S+) STDERR ===");
    private static final Pattern END = Pattern.compile("=== STEP (\\S+) END rc=(\\d+)(?: took=([0-9.]+)s)? ===");
    private static final Pattern DONE = Pattern.compile("(?m)^CHAMELEON-VM-DONE rc=(\\d+)(?: uptime=([0-9.]+))?");
    private static final Pattern BOOTED = Pattern.compile("(?m)^CHAMELEON-VM-BOOTED uptime=([0-9.]+)");

    /** What one step printed; {@code seconds} is its wall time in the guest, -1 when unknown. */
    record StepOutput(String name, String stdout, String stderr, int exitCode, double seconds) {
        String combined() {
            return stderr.isEmpty() ? stdout : stdout + "\n--- stderr ---\n" + stderr;
        }
    }

    static ConsoleLog parse(String raw) {
        String text = ANSI.matcher(raw.replace("\r", "")).replaceAll("");
        Map<String, StepOutput> steps = new LinkedHashMap<>();
        String current = null;
        StringBuilder out = new StringBuilder();
        StringBuilder err = new StringBuilder();
        StringBuilder sink = out;
        for (String line : text.split("\n", -1)) {
            Matcher m;
            if ((m = BEGIN.matcher(line)).matches()) {
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
        return new ConsoleLog(text, Collections.unmodifiableMap(steps));
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

    /** The last {@code n} lines, for failure messages. */
    String tail(int n) {
        List<String> lines = text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }
}

package dev.chameleon.cli;

import dev.chameleon.engine.hardware.Finding;
import java.io.PrintWriter;
import java.util.List;

/** The table {@code hardware check} and {@code readiness} print: one block per finding. */
final class FindingsTable {
    private FindingsTable() {
    }

    static void print(List<Finding> findings, PrintWriter out) {
        for (Finding f : findings) {
            out.printf("%-7s %-20s %s%n", f.status().word().toUpperCase(java.util.Locale.ROOT), f.check(),
                    f.found().isEmpty() ? "(" + f.expected() + ")" : f.found() + "  (wanted: " + f.expected() + ")");
            f.evidence().forEach(e -> out.println("        " + e));
            if (f.status() != Finding.Status.PASS && !f.fix().isEmpty()) {
                out.println("        fix: " + f.fix());
            }
        }
        var s = Finding.summary(findings);
        out.printf("%s passed, %s failed, %s unknown%n", s.get("pass"), s.get("fail"), s.get("unknown"));
    }

    /** {@code --exit-code}: 3 when a check failed, else 0 (unknowns are listed and do not change it). */
    static int exitCode(boolean asked, List<Finding> findings) {
        return asked && findings.stream().anyMatch(f -> f.status() == Finding.Status.FAIL) ? ExitCode.CHANGES_PENDING : ExitCode.OK;
    }
}

package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.model.PolicyMode;
import dev.chameleon.model.SettingKey;
import dev.chameleon.model.plan.PlanDocument;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The plan table prints what an actuator says about a change, as {@code plan -o json} carries it. */
class PlanTableTest {
    static PlanDocument.Entry change(String key, String note) {
        return new PlanDocument.Entry(SettingKey.parse(key), PlanDocument.Action.CHANGE, "installed 1.0-1", "installed candidate",
                "installed 2.0-1", "security-fix", "/etc/chameleon/policies.d/fix.yaml:8", 60, PolicyMode.ENFORCE, true, "true",
                List.of(), null, note);
    }

    static String print(List<PlanDocument.Entry> entries) {
        StringWriter sw = new StringWriter();
        PlanTable.print(new PlanDocument(new PlanDocument.Platform("kvm", "kvm", "none", "none", 0.9), List.of(), entries,
                PlanDocument.count(entries)), new PrintWriter(sw));
        return sw.toString();
    }

    /** A trial found the note "irreversible: ..." in -o json only: the text plan showed a plain change. */
    @Test
    void anIrreversibleChangeSaysSoInTheTextPlan() {
        String out = print(List.of(change("package:curl", "irreversible: curl 1.0-1 cannot be undone: apt no longer offers 1.0-1"),
                change("package:zlib1g", null)));
        assertThat(out).contains("~ package:curl: installed 1.0-1 -> installed 2.0-1")
                .contains("      note: irreversible: curl 1.0-1 cannot be undone: apt no longer offers 1.0-1");
        assertThat(out.lines().filter(l -> l.contains("note:")).count()).isEqualTo(1);
    }

    /** A trial: a version apt does not offer was counted "unreadable" under "Could not be read"; it is an error of the plan. */
    @Test
    void aSettingThatCannotBePlannedIsAnErrorNotAnUnreadableValue() {
        PlanDocument.Entry version = new PlanDocument.Entry(SettingKey.parse("package:curl"), PlanDocument.Action.ERROR, "installed 1.0-1",
                "installed 9.9-1", null, "pin", "/etc/chameleon/policies.d/pin.yaml:8", 60, PolicyMode.ENFORCE, true, "true", List.of(), null,
                "cannot be planned: apt does not offer curl 9.9-1 (it offers: 2.0-1, 1.0-1)");
        PlanDocument.Entry read = new PlanDocument.Entry(SettingKey.parse("sysctl:vm.swappiness"), PlanDocument.Action.ERROR, "", "10", null,
                "sw", "/etc/chameleon/policies.d/sw.yaml:8", 50, PolicyMode.ENFORCE, true, "true", List.of(), null,
                "cannot read /proc/sys/vm/swappiness: is a directory");
        String out = print(List.of(version, read));
        assertThat(out).contains("Errors: could not be read, or cannot be planned here (2):")
                .contains("  - package:curl: cannot be planned: apt does not offer curl 9.9-1")
                .contains("  - sysctl:vm.swappiness: cannot read /proc/sys/vm/swappiness")
                .contains("Plan: 0 to change, 0 already set, 0 not applicable, 2 errors.")
                .doesNotContain("unreadable").doesNotContain("Could not be read");
    }
}

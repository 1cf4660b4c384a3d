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
}

package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** As an unprivileged user (setpriv to nobody), apply refuses clearly and plan still works. */
class NotRootIT {
    static List<String> asNobody(String... args) {
        List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
        argv.addAll(Proc.chameleon());
        argv.addAll(List.of(args));
        return argv;
    }

    @Test
    void applyRefusesPlanWorks() throws Exception {
        Proc apply = Proc.run(asNobody("apply", "--yes", "--state-dir", "/tmp/chameleon-notroot-never"), 120);
        assertThat(apply.code()).as(apply.out()).isEqualTo(ExitCode.REFUSED);
        assertThat(apply.out()).contains("changing this machine needs root").contains("Nothing was changed");

        Proc rollback = Proc.run(asNobody("rollback", "--last"), 120);
        assertThat(rollback.code()).as(rollback.out()).isEqualTo(ExitCode.REFUSED);

        Proc plan = Proc.run(asNobody("plan"), 120);
        assertThat(plan.code()).as(plan.out()).isEqualTo(ExitCode.OK);
        assertThat(plan.out()).contains("Platform: hypervisor").contains("Plan:");
    }
}

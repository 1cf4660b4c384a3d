package dev.chameleon.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.model.ChangeSet;
import dev.chameleon.model.JournalEntry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the loop counts: passes by trigger, settings by outcome, drift by kind. */
class AgentMetricsTest {
    static JournalEntry entry(int seq, String key, String state) {
        return new JournalEntry(seq, key, "1", "2", "policy p", "undo", state, "");
    }

    @Test
    void settingsAreCountedByWhatHappenedToThem() {
        AgentMetrics m = new AgentMetrics();
        m.changeSet(new ChangeSet(1, "a", "t", "run", "applied", "", List.of(entry(1, "sysctl:a", "verified"), entry(2, "sysctl:b", "verified"))));
        m.changeSet(new ChangeSet(2, "b", "t", "run", "failed-rolled-back", "", List.of(entry(1, "sysctl:a", "undone"),
                entry(2, "nic:eth0", "failed"), entry(3, "sysctl:c", "not-applied"))));
        m.changeSet(new ChangeSet(3, "c", "t", "run", "rollback-incomplete", "", List.of(entry(1, "sysctl:a", "undo-failed"),
                entry(2, "sysctl:d", "verified"))));
        assertThat(m.settingsChanged()).isEqualTo(7);
        assertThat(m.settingsApplied()).as("verified in an applied set only").isEqualTo(2);
        assertThat(m.settingsFailed()).isEqualTo(2);
        assertThat(m.settingsRolledBack()).isEqualTo(1);
    }

    @Test
    void passesByTriggerAndDriftByKind() {
        AgentMetrics m = new AgentMetrics();
        m.pass("start", 2_000_000, Instant.ofEpochSecond(100));
        m.pass("uevent+policy-change", 1_000_000, Instant.ofEpochSecond(160));
        m.pass("policy-change+uevent", 1_000_000, Instant.ofEpochSecond(170));
        assertThat(m.passes()).isEqualTo(Map.of("start", 1L, "policy-change+uevent", 2L, "interval", 0L, "uevent", 0L,
                "policy-change", 0L, "sighup", 0L));
        assertThat(m.passCount()).isEqualTo(3);
        assertThat(m.passNanos()).isEqualTo(4_000_000);
        assertThat(m.lastPassNanos()).isEqualTo(1_000_000);
        assertThat(m.lastPassEpochMillis()).isEqualTo(170_000);
        m.drift("sysctl:vm.swappiness");
        m.drift("sysctl:net.core.somaxconn");
        m.drift("nic:eth0:mtu");
        assertThat(m.drift()).isEqualTo(Map.of("sysctl", 2L, "nic", 1L));
    }
}

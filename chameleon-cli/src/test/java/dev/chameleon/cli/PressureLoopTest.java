package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chameleon.agent.Agent;
import dev.chameleon.agent.loop.EventLog;
import dev.chameleon.agent.loop.Triggers.Trigger;
import dev.chameleon.policy.PolicySet;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's passes decide {@code for:} policies from their own history (one engine: the same
 * {@code PolicySet.evaluate} as plan, with the agent's {@code ConditionHistory}), on a machine tree
 * whose {@code /proc/meminfo} the test changes between passes and an injected clock it moves.
 */
class PressureLoopTest {
    @TempDir
    Path tmp;
    Path root;
    Path state;
    StringWriter log = new StringWriter();
    MovingClock clock = new MovingClock();

    static final class MovingClock extends Clock {
        Instant now = Instant.parse("2026-12-04T10:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static final Trigger INTERVAL = new Trigger("interval", "", false);

    @BeforeEach
    void tree() throws IOException {
        root = tmp.resolve("root");
        state = tmp.resolve("state");
        MachineTree.vmwareGuest(root);
        MachineTree.write(root, "/proc/sys/vm/swappiness", "60\n");
        MachineTree.write(root, "/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
        memory(80);
    }

    /** MemAvailable at {@code percent} of an 8 GiB MemTotal. */
    void memory(int percent) throws IOException {
        MachineTree.write(root, "/proc/meminfo", "MemTotal:  8388608 kB\nMemAvailable:  " + 8388608L * percent / 100 + " kB\n");
    }

    /** The policy's timing lines. */
    String timing = "for: 5m";

    PolicySet policies() {
        return dev.chameleon.engine.Engine.compile(List.of(new PolicySet.Source("pressure.yaml", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: low-memory-swap}
                spec:
                  when: host.memory.available.percent < 20.0
                  %s
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """.formatted(timing.replace("\n", "\n  ")))), new ArrayList<>());
    }

    Agent agent(boolean apply) {
        dev.chameleon.engine.Engine engine = dev.chameleon.engine.Engine.of(dev.chameleon.engine.EngineConfig.builder().root(root)
                .stateDir(state).build());
        EventLog events = new EventLog(state.resolve("events.jsonl"), new PrintWriter(log, true), false, clock);
        return new Agent(engine, e -> policies(), new Agent.Settings(apply, Duration.ofSeconds(60),
                Duration.ofSeconds(6), Duration.ofMillis(10), 0, 5, Duration.ofHours(1)), events, clock, RandomGenerator.getDefault());
    }

    List<Integer> pending() throws IOException {
        List<Integer> out = new ArrayList<>();
        ObjectMapper m = new ObjectMapper();
        for (String line : Files.readAllLines(state.resolve("events.jsonl"))) {
            JsonNode n = m.readTree(line);
            if (n.path("event").asText().equals("pass")) {
                out.add(n.path("pending").asInt());
            }
        }
        return out;
    }

    List<Boolean> passesWithAChangeSet() throws IOException {
        List<Boolean> out = new ArrayList<>();
        ObjectMapper m = new ObjectMapper();
        for (String line : Files.readAllLines(state.resolve("events.jsonl"))) {
            JsonNode n = m.readTree(line);
            if (n.path("event").asText().equals("pass")) {
                out.add(n.hasNonNull("changeSet"));
            }
        }
        return out;
    }

    void minutes(int n) {
        clock.now = clock.now.plus(Duration.ofMinutes(n));
    }

    @Test
    void aConditionMustHoldForItsDurationAcrossPassesAndABurstChangesNothing() throws IOException {
        Agent a = agent(false);
        a.pass(new Trigger("start", "", false));                        // 10:00 80 % free
        memory(10);
        minutes(1);
        a.pass(INTERVAL);                                               // 10:01 pressure starts
        minutes(3);
        a.pass(INTERVAL);                                               // 10:04 3 minutes of 5
        memory(70);
        minutes(1);
        a.pass(INTERVAL);                                               // 10:05 a burst: over
        memory(10);
        minutes(1);
        a.pass(INTERVAL);                                               // 10:06 starts again
        minutes(4);
        a.pass(INTERVAL);                                               // 10:10 4 minutes
        // the same facts as the pass before, but the count is running: decided again, not reused
        minutes(1);
        a.pass(INTERVAL);                                               // 10:11 5 minutes: matched
        assertThat(pending()).containsExactly(0, 0, 0, 0, 0, 0, 1);
        assertThat(a.lastPass().document().policies().get(0).hold()).startsWith("for 5m: the condition has held since 2026-12-04T10:06:00Z");
        // what a client's plan answered by this agent decides: the agent's history, not changed by asking
        assertThat(a.conditionHistory().copy().inTransition()).isFalse();
        // pressure gone: still matched for keepFor (default: the for value), then not
        memory(80);
        minutes(1);
        a.pass(INTERVAL);                                               // 10:12
        minutes(4);
        a.pass(INTERVAL);                                               // 10:16 4 minutes without
        minutes(1);
        a.pass(INTERVAL);                                               // 10:17 5 minutes: no longer
        assertThat(pending()).endsWith(1, 1, 1, 0);
        assertThat(MachineTree.read(root, "/proc/sys/vm/swappiness")).isEqualTo("60"); // plan mode
    }

    @Test
    void aTransientPolicyIsAppliedWhileItMatchesAndPutBackThroughTheJournalWhenItStops() throws IOException {
        timing = "for: 2m\nkeepFor: 2m\ntransient: true";
        Agent a = agent(true);
        a.pass(new Trigger("start", "", false));                        // 10:00 80 % free
        memory(10);
        minutes(1);
        a.pass(INTERVAL);                                               // 10:01 pending
        assertThat(MachineTree.read(root, "/proc/sys/vm/swappiness")).isEqualTo("60");
        minutes(2);
        a.pass(INTERVAL);                                               // 10:03 held 2m: applied
        assertThat(MachineTree.read(root, "/proc/sys/vm/swappiness")).isEqualTo("10");

        // a one-shot plan (no history) neither applies nor puts back a for: policy
        dev.chameleon.engine.Engine oneShot = a.engine();
        dev.chameleon.engine.Pass p = oneShot.pass(policies());
        assertThat(p.plan().entries()).isEmpty();
        memory(80);
        assertThat(oneShot.pass(policies()).plan().entries()).as("keepFor may still hold it: not the one-shot's to undo").isEmpty();

        minutes(1);
        a.pass(INTERVAL);                                               // 10:04 pressure gone 0m: kept
        minutes(1);
        a.pass(INTERVAL);                                               // 10:05 1m of keepFor 2m: kept
        assertThat(MachineTree.read(root, "/proc/sys/vm/swappiness")).isEqualTo("10");
        minutes(1);
        a.pass(INTERVAL);                                               // 10:06 2m: put back
        assertThat(MachineTree.read(root, "/proc/sys/vm/swappiness")).isEqualTo("60");
        minutes(1);
        a.pass(INTERVAL);                                               // 10:07 nothing more to do
        assertThat(passesWithAChangeSet()).containsExactly(false, false, true, false, false, true, false);

        List<dev.chameleon.model.ChangeSet> sets = a.engine().journal().list().stream().map(l -> l.changeSet()).toList();
        assertThat(sets).hasSize(2).allSatisfy(cs -> assertThat(cs.status()).isEqualTo("applied"));
        assertThat(sets.get(0).entries()).singleElement().satisfies(e -> {
            assertThat(e.before() + " -> " + e.after()).isEqualTo("60 -> 10");
            assertThat(e.reason()).startsWith("policy low-memory-swap ");
        });
        assertThat(sets.get(1).entries()).singleElement().satisfies(e -> {
            assertThat(e.before() + " -> " + e.after()).isEqualTo("10 -> 60");
            assertThat(e.reason()).startsWith("policy put-back:low-memory-swap (journal " + sets.get(0).id() + " #1)")
                    .contains("transient policy low-memory-swap no longer matches");
        });

        // pressure again: applied again, and the put-back is itself undone by a rollback like any change set
        memory(10);
        minutes(1);
        a.pass(INTERVAL);
        minutes(2);
        a.pass(INTERVAL);
        assertThat(MachineTree.read(root, "/proc/sys/vm/swappiness")).isEqualTo("10");
    }

    @Test
    void aTransientPolicyWithoutForIsPutBackByAOneShotPlanAndApplyToo() throws IOException {
        timing = "transient: true";
        dev.chameleon.engine.Engine engine = dev.chameleon.engine.Engine.of(dev.chameleon.engine.EngineConfig.builder().root(root)
                .stateDir(state).build());
        memory(10);
        dev.chameleon.engine.Pass p = engine.pass(policies());
        engine.applySettings(p.scope().changes(p.plan(), (k, v) -> false), "apply --yes");
        assertThat(MachineTree.read(root, "/proc/sys/vm/swappiness")).isEqualTo("10");
        memory(80);
        dev.chameleon.engine.Pass back = engine.pass(policies());
        assertThat(back.document().entries()).singleElement().satisfies(e -> {
            assertThat(e.key() + " " + e.current() + " -> " + e.desired()).isEqualTo("sysctl:vm.swappiness 10 -> 60");
            assertThat(e.policy()).isEqualTo("put-back:low-memory-swap");
        });
        engine.applySettings(back.scope().changes(back.plan(), (k, v) -> false), "apply --yes");
        assertThat(MachineTree.read(root, "/proc/sys/vm/swappiness")).isEqualTo("60");
        assertThat(engine.pass(policies()).plan().entries()).isEmpty();
    }

    PolicySet with(String extra) {
        List<PolicySet.Source> sources = new ArrayList<>();
        sources.add(new PolicySet.Source("pressure.yaml", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: low-memory-swap}
                spec:
                  when: host.memory.available.percent < 20.0
                  transient: true
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """));
        if (!extra.isEmpty()) {
            sources.add(new PolicySet.Source("site.yaml", extra));
        }
        return dev.chameleon.engine.Engine.compile(sources, new ArrayList<>());
    }

    @Test
    void nothingIsPutBackThatAnotherPolicyWantsThatWasRolledBackOrWhosePolicyIsGone() throws IOException {
        dev.chameleon.engine.Engine engine = dev.chameleon.engine.Engine.of(dev.chameleon.engine.EngineConfig.builder().root(root)
                .stateDir(state).build());
        memory(10);
        dev.chameleon.engine.Pass p = engine.pass(with(""));
        var applied = engine.applySettings(p.scope().changes(p.plan(), (k, v) -> false), "apply --yes");
        assertThat(MachineTree.read(root, "/proc/sys/vm/swappiness")).isEqualTo("10");
        memory(80);
        // another policy wants the key now: it decides (its 30), nothing is put back
        PolicySet site = with("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: site-swap}
                spec:
                  priority: 40
                  settings:
                    - sysctl: {key: vm.swappiness, value: 30}
                """);
        assertThat(engine.pass(site).document().entries()).singleElement()
                .satisfies(e -> assertThat(e.policy() + " " + e.desired()).isEqualTo("site-swap 30"));
        // the transient policy is no longer loaded: its value stays, as with any removed policy
        PolicySet other = dev.chameleon.engine.Engine.compile(List.of(new PolicySet.Source("other.yaml", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: other}
                spec:
                  settings:
                    - sysctl: {key: vm.dirty_ratio, value: 20}
                """)), new ArrayList<>());
        assertThat(engine.pass(other).document().entries()).extracting(e -> e.key().toString()).containsExactly("sysctl:vm.dirty_ratio");
        // its change set rolled back by hand: the machine has the old value again, nothing to put back
        engine.rollback(applied.changeSet().id(), false, "test");
        assertThat(MachineTree.read(root, "/proc/sys/vm/swappiness")).isEqualTo("60");
        assertThat(engine.pass(with("")).plan().entries()).isEmpty();
    }

    /** Regression: 'chameleon facts host' answered by the agent sensed with a fresh cache and had no steal, iowait or disk deltas. */
    @Test
    void factsOfOneSensorAnsweredByTheAgentHaveTheDeltasOfItsSamples() throws Exception {
        MachineTree.write(root, "/proc/stat", "cpu  100 0 0 800 50 0 0 50 0 0\n");
        Agent a = agent(false);
        a.pass(new Trigger("start", "", false));
        MachineTree.write(root, "/proc/stat", "cpu  190 0 0 800 55 0 0 55 0 0\n");
        Thread.sleep(1100); // deltas are taken against a sample at least 1 s old (the host sensor's clock is the JVM's)
        var host = a.sense(a.engine().sensors().only(List.of("host"))).asMap().get("host");
        assertThat(host).asString().contains("steal={percent=5.0}").contains("iowait={percent=5.0}");
        var refreshed = a.facts(Duration.ofSeconds(120), true).asMap().get("host");
        assertThat(refreshed).asString().contains("steal={percent=");
    }
}

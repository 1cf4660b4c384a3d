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

    PolicySet policies() {
        return dev.chameleon.engine.Engine.compile(List.of(new PolicySet.Source("pressure.yaml", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: low-memory-swap}
                spec:
                  when: host.memory.available.percent < 20.0
                  for: 5m
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """)), new ArrayList<>());
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
}

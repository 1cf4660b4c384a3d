package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.agent.Agent;
import dev.chameleon.agent.loop.EventLog;
import dev.chameleon.agent.loop.Triggers.Trigger;
import dev.chameleon.engine.Engine;
import dev.chameleon.engine.EngineConfig;
import dev.chameleon.engine.Pass;
import dev.chameleon.model.json.FactSetCodec;
import dev.chameleon.model.json.PlanCodec;
import dev.chameleon.model.plan.PlanDocument;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the running agent keeps of its last pass (facts, plan document, current values) is what
 * the standalone commands print: its plan document, sent as JSON and read back, prints byte for
 * byte as {@code plan} and {@code plan -o json} print on the same machine, and its facts as
 * {@code facts -o json} (less the collection's time and durations).
 */
class DaemonAnswersAsThePlanCommandTest {
    @TempDir
    Path tmp;

    @Test
    void theLastPassPrintsAsThePlanCommandPrintsIt() throws Exception {
        Path root = tmp.resolve("root");
        MachineTree.vmwareGuest(root);
        MachineTree.write(root, "/proc/sys/vm/swappiness", "60\n");
        MachineTree.write(root, "/proc/sys/vm/dirty_ratio", "20\n");
        MachineTree.write(root, "/proc/modules", "ext4 1000 1 - Live 0x0\n");
        Path state = tmp.resolve("state");
        Path policies = Files.createDirectories(tmp.resolve("policies"));
        Files.writeString(policies.resolve("p.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: tuned}
                spec:
                  when: platform.hypervisor == "vmware"
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                    - sysctl: {key: vm.dirty_ratio, value: 20}
                    - sysctl: {key: kernel.not_here, value: 1}
                    - advice: {key: smt-off, text: Turn SMT off}
                ---
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: watch}
                spec:
                  priority: 60
                  mode: audit
                  settings:
                    - kernelModule: {name: vmw_pvscsi, state: loaded}
                """);
        Engine engine = Engine.of(EngineConfig.builder().root(root).builtinPolicies(false).policies(List.of(policies)).stateDir(state).build());
        Agent agent = new Agent(engine, Engine::loadPolicies,
                new Agent.Settings(false, Duration.ofSeconds(60), Duration.ZERO, Duration.ofMillis(10), 0, 5, Duration.ofHours(1)),
                new EventLog(state.resolve("events.jsonl"), new PrintWriter(new StringWriter()), false, Clock.systemUTC()),
                Clock.systemUTC(), RandomGenerator.getDefault());
        agent.pass(new Trigger("start", "", false));
        Pass last = agent.lastPass();
        // what would travel over the socket: JSON text, read back on the other side
        PlanDocument received = PlanCodec.read(PlanCodec.write(last.document()));

        String[] common = {"--root", root.toString(), "--no-default-policies", "--policies", policies.toString(), "--state-dir", state.toString()};
        CliTest.Run json = CliTest.cli(AgentLoopTest.concat(new String[] {"plan", "-o", "json"}, common));
        assertThat(json.code()).as(json.err()).isZero();
        assertThat(PlanCodec.write(received) + "\n").isEqualTo(json.out());
        CliTest.Run table = CliTest.cli(AgentLoopTest.concat(new String[] {"plan"}, common));
        StringWriter printed = new StringWriter();
        PlanTable.print(received, new PrintWriter(printed));
        assertThat(printed.toString()).isEqualTo(table.out()).contains("? kernelModule:vmw_pvscsi").contains("! smt-off");

        CliTest.Run facts = CliTest.cli("facts", "--root", root.toString(), "-o", "json");
        assertThat(stable(FactSetCodec.write(FactSetCodec.read(FactSetCodec.write(last.facts()))) + "\n")).isEqualTo(stable(facts.out()));
        assertThat(last.currentValues()).containsKeys(dev.chameleon.model.SettingKey.parse("sysctl:vm.swappiness"),
                dev.chameleon.model.SettingKey.parse("sysctl:vm.dirty_ratio"));
    }

    /** The facts without what differs between two collections. */
    static String stable(String json) {
        return json.replaceAll("\"collectedAt\" : \"[^\"]*\"", "\"collectedAt\" : \"T\"").replaceAll("\"durationMs\" : [0-9.E-]+", "\"durationMs\" : 0");
    }
}

package dev.chameleon.cli;

import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.PlanEntry;
import dev.chameleon.model.SettingKey;
import dev.chameleon.policy.PolicySet;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code chameleon explain KEY}: why a setting has its desired value. The winning policy with
 * its condition and the facts that made it true, the current value on the machine, the
 * policies that wanted something else and lost, and those that would set it but did not match.
 * JSON shape: {@code {key, desired, current, action, winner: {policy, source, priority, mode,
 * condition, facts, element}, losers: [{policy, source, priority, value}], unmatched: [{policy,
 * source, when, facts, error}]}}; {@code desired} and {@code winner} are absent when no policy
 * sets the key. Exit 0 either way; 2 for a bad key or policies.
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = "Explain why a setting (kind:target, e.g. sysctl:vm.swappiness) has its desired value.")
final class ExplainCommand implements Callable<Integer> {
    @Mixin
    HostOptions hostOptions;
    @Mixin
    PolicyOptions policyOptions;
    @Mixin
    AgentOptions agentOptions;

    @Parameters(paramLabel = "KEY", description = "The setting, as plan shows it: kind:target.")
    String key;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table, json or yaml (default: ${DEFAULT-VALUE})")
    OutputFormat output = OutputFormat.table;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        SettingKey k;
        try {
            k = SettingKey.parse(key);
        } catch (IllegalArgumentException e) {
            throw new UserError(ExitCode.BAD_INPUT, e.getMessage());
        }
        if (!dev.chameleon.policy.PolicyParser.SETTING_KINDS.contains(k.kind())) {
            throw new UserError(ExitCode.BAD_INPUT, key + ": unknown setting kind '" + k.kind() + "'; known: "
                    + String.join(", ", dev.chameleon.policy.PolicyParser.SETTING_KINDS));
        }
        dev.chameleon.engine.Engine engine = Answering.engine(hostOptions, policyOptions, null, true);
        PolicySet policies = Answering.policies(engine);
        dev.chameleon.engine.Pass s = Answering.pass(engine, policies, agentOptions.refresh);
        PolicySet.Explanation ex = policies.explain(s.evaluation(), k); // the pass's decisions (with the agent's for: history when it answers)
        Optional<PlanEntry> entry = s.plan().entries().stream().filter(e -> e.key().equals(k)).findFirst();
        PrintWriter out = spec.commandLine().getOut();
        if (output == OutputFormat.table) {
            table(out, ex, entry);
        } else {
            out.print(Render.as(output, tree(ex, entry)));
            if (output == OutputFormat.json) {
                out.println();
            }
        }
        out.flush();
        return ExitCode.OK;
    }

    static Map<String, Object> tree(PolicySet.Explanation ex, Optional<PlanEntry> entry) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", ex.key().toString());
        ex.winner().ifPresent(w -> m.put("desired", w.value()));
        entry.ifPresent(e -> {
            m.put("current", e.current());
            m.put("action", e.action().label());
            if (!e.note().isEmpty()) {
                m.put("note", e.note());
            }
        });
        ex.winner().ifPresent(w -> {
            Map<String, Object> win = reason(w);
            win.put("mode", ex.mode().label());
            m.put("winner", win);
        });
        List<Object> losers = new ArrayList<>();
        for (DesiredSetting d : ex.losers()) {
            Map<String, Object> l = reason(d);
            l.put("value", d.value());
            losers.add(l);
        }
        m.put("losers", losers);
        List<Object> unmatched = new ArrayList<>();
        for (PolicySet.PolicyOutcome o : ex.unmatched()) {
            Map<String, Object> u = new LinkedHashMap<>();
            u.put("policy", o.policy().name());
            u.put("source", o.policy().location());
            u.put("when", o.policy().when().text());
            u.put("facts", o.facts());
            o.failedClause().ifPresent(c -> u.put("failed", c.clause()));
            if (!o.hold().isEmpty()) {
                u.put("hold", o.hold());
            }
            if (!o.error().isEmpty()) {
                u.put("error", o.error());
            }
            unmatched.add(u);
        }
        m.put("unmatched", unmatched);
        return m;
    }

    private static Map<String, Object> reason(DesiredSetting d) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("policy", d.reason().policy());
        r.put("source", d.reason().source());
        r.put("priority", d.reason().priority());
        r.put("condition", d.reason().condition());
        r.put("facts", d.reason().facts());
        if (!d.reason().element().isEmpty()) {
            r.put("element", d.reason().element());
        }
        return r;
    }

    static void table(PrintWriter out, PolicySet.Explanation ex, Optional<PlanEntry> entry) {
        if (ex.winner().isEmpty()) {
            out.println(ex.key() + ": no matching policy sets it; chameleon leaves it as it is.");
        } else {
            DesiredSetting w = ex.winner().get();
            out.printf("%s: desired %s%s%n", ex.key(), w.value(), entry.map(e -> ", now " + (e.current().isEmpty() ? "(empty)" : e.current())
                    + " (" + e.action().label() + (e.note().isEmpty() ? "" : ": " + e.note()) + ")").orElse(""));
            out.printf("  wanted by %s, priority %d, mode %s%s%n", w.reason().describe(), w.reason().priority(), ex.mode(),
                    ex.mode() == dev.chameleon.model.PolicyMode.AUDIT ? " (reported only, never applied)" : "");
            if (!w.reason().facts().isEmpty()) {
                out.printf("  because %s%n", String.join(", ", w.reason().facts()));
            }
        }
        if (!ex.losers().isEmpty()) {
            out.println("  lost (lower priority):");
            for (DesiredSetting d : ex.losers()) {
                out.printf("    %s wanted %s, priority %d%n", d.reason().describe(), d.value(), d.reason().priority());
            }
        }
        if (!ex.unmatched().isEmpty()) {
            out.println("  would set it, but did not match:");
            for (PolicySet.PolicyOutcome o : ex.unmatched()) {
                out.printf("    policy %s (%s) when %s%n", o.policy().name(), o.policy().location(), o.policy().when().text());
                if (!o.facts().isEmpty()) {
                    out.printf("      facts: %s%n", String.join(", ", o.facts()));
                }
                o.failedClause().ifPresent(c -> out.printf("      fails at %s%n", c.clause()));
                if (!o.hold().isEmpty()) {
                    out.printf("      %s%n", o.hold());
                }
                if (!o.error().isEmpty()) {
                    out.printf("      error: %s%n", o.error());
                }
            }
        }
    }
}

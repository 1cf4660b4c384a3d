package dev.chameleon.agent.tuning;

import dev.chameleon.policy.Tuning;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Writes a {@code kind: Policy} document setting each knob to one of its values, in the form the
 * knob was written ({@code - sysctl: {key: net.ipv4.tcp_wmem, value: 4096 16384 16777216}}): what
 * a trial applies (read back by the policy parser, so a trial goes through the same evaluation,
 * plan and apply as {@code chameleon apply}) and what the tuner proposes.
 */
public final class PolicyText {
    private PolicyText() {
    }

    /**
     * The policy text.
     *
     * @param header      comment lines (without {@code #}) written above the document
     * @param name        {@code metadata.name}
     * @param description {@code metadata.description}
     * @param priority    {@code spec.priority}
     * @param when        {@code spec.when}, or null for always
     * @param knobs       the knobs, with
     * @param values      the value of each, same order
     */
    public static String policy(List<String> header, String name, String description, int priority, String when, List<Tuning.Knob> knobs,
                                List<String> values) {
        StringBuilder b = new StringBuilder();
        for (String h : header) {
            b.append("# ").append(h.replace("\n", " ")).append('\n');
        }
        b.append("apiVersion: chameleon/v1\nkind: Policy\nmetadata:\n");
        b.append("  name: ").append(name).append('\n');
        b.append("  description: ").append(scalar(description)).append('\n');
        b.append("spec:\n  priority: ").append(priority).append('\n');
        if (when != null) {
            b.append("  when: ").append(scalar(when)).append('\n');
        }
        b.append("  settings:\n");
        for (int i = 0; i < knobs.size(); i++) {
            b.append("    - ").append(setting(knobs.get(i), values.get(i))).append('\n');
        }
        return b.toString();
    }

    /** One knob at {@code value}, as a flow mapping: {@code sysctl: {key: net.core.somaxconn, value: 1024}}. */
    static String setting(Tuning.Knob knob, String value) {
        Map<String, Object> body = new LinkedHashMap<>(knob.setting());
        body.put(knob.field(), value.matches("-?\\d{1,18}") ? (Object) Long.parseLong(value) : value);
        DumperOptions o = new DumperOptions();
        o.setDefaultFlowStyle(DumperOptions.FlowStyle.FLOW);
        o.setWidth(Integer.MAX_VALUE);
        return knob.kind() + ": " + new Yaml(o).dump(body).strip();
    }

    /** A single-line YAML scalar for {@code s} (quoted when YAML needs it). */
    static String scalar(String s) {
        DumperOptions o = new DumperOptions();
        o.setWidth(Integer.MAX_VALUE);
        o.setDefaultScalarStyle(DumperOptions.ScalarStyle.PLAIN);
        String out = new Yaml(o).dump(s).strip();
        return out.contains("\n") ? "'" + s.replace("'", "''") + "'" : out;
    }

    /** {@code KEY=VALUE} for each knob, for the journal's trigger and the tables. */
    static List<String> assignments(List<Tuning.Knob> knobs, List<String> values) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < knobs.size(); i++) {
            out.add(knobs.get(i).key() + "=" + values.get(i));
        }
        return out;
    }
}

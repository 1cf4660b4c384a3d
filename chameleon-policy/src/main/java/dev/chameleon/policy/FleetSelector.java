package dev.chameleon.policy;

import dev.chameleon.model.FactSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A CEL expression over one agent's facts and labels, as the control plane takes it to pick
 * agents (assignments, canary sets, inventory queries): {@code platform.hypervisor == "vmware" &&
 * gpus.exists(g, g.vendor == "nvidia")}, {@code labels.ring == "canary"}.
 *
 * <p>Compiled by the same compiler as policy conditions, against the same fact schema and helper
 * functions, plus one variable {@code labels} ({@code map<string, string>}). Bounds, checked
 * before CEL sees the text: at most {@value #MAX_CHARS} characters and {@value #MAX_NESTING}
 * levels of brackets. Immutable and thread-safe.
 */
public final class FleetSelector {
    /** Longest selector accepted, in characters. */
    public static final int MAX_CHARS = 4096;
    /** Deepest nesting of ( [ { accepted. */
    public static final int MAX_NESTING = 32;
    /** The name selector errors are reported under ({@code selector:1:12}). */
    public static final String SOURCE = "selector";

    private final Condition condition;

    private FleetSelector(Condition condition) {
        this.condition = condition;
    }

    /**
     * Compiles a selector.
     *
     * @throws PolicyException with positioned errors ({@code selector:LINE:COLUMN}) when the text
     *                         is empty, too long, too deeply nested, not CEL, mistyped against the
     *                         fact schema, or not a boolean
     */
    public static FleetSelector compile(String text) throws PolicyException {
        SourceText src = new SourceText(SOURCE, text);
        if (text.isBlank()) {
            throw new PolicyException(List.of(new PolicyError(SOURCE, 0, 0, "selector is empty", "")));
        }
        if (text.length() > MAX_CHARS) {
            throw new PolicyException(List.of(new PolicyError(SOURCE, 0, 0, "selector is " + text.length()
                    + " characters long; selectors are limited to " + MAX_CHARS, "")));
        }
        int depth = 0;
        int line = 1;
        int col = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            col++;
            if (c == '\n') {
                line++;
                col = 0;
            } else if (c == '(' || c == '[' || c == '{') {
                if (++depth > MAX_NESTING) {
                    throw new PolicyException(List.of(src.error(line, col, "selector nests brackets more than "
                            + MAX_NESTING + " deep")));
                }
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            }
        }
        Condition.Result r;
        try {
            r = Condition.compileFleet(text);
        } catch (RuntimeException e) {
            throw new PolicyException(List.of(new PolicyError(SOURCE, 0, 0, "cannot compile: " + e.getMessage(), "")));
        }
        if (r.condition() == null) {
            throw new PolicyException(r.errors().stream()
                    .map(e -> src.error(e.line(), e.column(), e.message().replace('\n', ' '))).toList());
        }
        return new FleetSelector(r.condition());
    }

    /** The expression as written. */
    public String text() {
        return condition.text();
    }

    /** The fact paths and labels it reads ({@code platform.hypervisor}, {@code labels.ring}). */
    public List<String> references() {
        return condition.references();
    }

    /**
     * Evaluates against one agent. Never throws: an expression that reads a fact this agent lacks
     * gives an outcome that does not hold, with the error.
     */
    public Condition.Outcome matches(FactSet facts, Map<String, String> labels) {
        Map<String, Object> vars = new HashMap<>(Condition.activation(facts));
        vars.put(Condition.LABELS, labels);
        return condition.evaluate(vars);
    }
}

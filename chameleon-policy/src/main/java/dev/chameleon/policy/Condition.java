package dev.chameleon.policy;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import dev.cel.runtime.CelVariableResolver;
import dev.chameleon.model.FactSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled CEL expression over facts: a policy's {@code when:} or a setting's {@code select:}.
 *
 * <p>Compiled once, immutable and thread-safe; evaluated many times. Variables are the fact
 * set's top-level keys ({@code platform}, {@code cpu}, ...) and, in selectors, the element
 * ({@code disk}, {@code nic}, {@code gpu}). Expressions are type-checked against the
 * {@link FactSchema}: a misspelt fact or a wrong type is a compile error with its position.
 * Helper functions: see {@link Functions}. A result that is not a boolean, or an evaluation
 * error such as a missing key, is an {@link Outcome} with an error, never an exception.
 */
public final class Condition {
    private static final FactSchema SCHEMA = FactSchema.standard();

    private static volatile Map<String, CelCompiler> compilers = Map.of();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
            .setOptions(CelOptions.current().build())
            .addFunctionBindings(Functions.bindings())
            .build();

    private final String text;
    private final CelRuntime.Program program;
    private final List<String> references;

    private final String element;

    private Condition(String text, CelRuntime.Program program, List<String> references, String element) {
        this.element = element;
        this.text = text;
        this.program = program;
        this.references = references;
    }

    /** The condition that is always true (a policy without {@code when:}). */
    public static Condition always() {
        return new Condition("true", null, List.of(), null);
    }

    /** The selector that selects every element of a list fact ({@code disk}: every disk). */
    public static Condition always(String element) {
        FactSchema.standard().elementType(element);
        return new Condition("true", null, List.of(), element);
    }

    /** For selectors, the per-element variable ({@code disk}, {@code nic}, {@code gpu}); null for {@code when:}. */
    public String element() {
        return element;
    }

    /** The expression as written. */
    public String text() {
        return text;
    }

    /** Fact paths the expression mentions ({@code platform.hypervisor}), in order of first use. */
    public List<String> references() {
        return references;
    }

    /**
     * Compiles an expression.
     *
     * @param element the per-element variable ({@code disk}, {@code nic}) for selectors, or null
     * @return the condition, or the compile errors with positions inside the expression
     *         (1-based line and column)
     */
    static Result compile(String text, String element) {
        return compile(text, element, element == null ? "" : element, element == null ? List.of() : List.of(element));
    }

    /**
     * Compiles a fleet selector: the fact variables and {@value #LABELS} (the agent's labels,
     * {@code map<string, string>}); see {@link FleetSelector}.
     */
    static Result compileFleet(String text) {
        return compile(text, null, FLEET, List.of(LABELS));
    }

    /** The variable holding an agent's labels in fleet selectors. */
    static final String LABELS = "labels";
    /** Compiler-cache key of the fleet selector compiler (no element variable has this name). */
    private static final String FLEET = "@fleet";

    /**
     * The compile boundary: the checked AST from {@link ConditionCache} when it holds one for this
     * text, element and schema, else compiled (and kept there); then the program.
     *
     * @param compilerKey the element variable, "" for {@code when:}, {@link #FLEET} for fleet selectors
     */
    private static Result compile(String text, String element, String compilerKey, List<String> extraRoots) {
        String key = ConditionCache.key(compilerKey, text);
        CelAbstractSyntaxTree checked = ConditionCache.get(key);
        if (checked == null) {
            CelValidationResult r = compiler(compilerKey.isEmpty() ? null : compilerKey).compile(text);
            if (r.hasError()) {
                List<ExprError> errors = new ArrayList<>();
                for (CelIssue issue : r.getErrors()) {
                    errors.add(new ExprError(issue.getSourceLocation().getLine(), issue.getSourceLocation().getColumn() + 1,
                            issue.getMessage() + didYouMean(issue.getMessage(), extraRoots)));
                }
                return new Result(null, errors);
            }
            try {
                checked = r.getAst();
            } catch (CelValidationException e) {
                return new Result(null, List.of(new ExprError(1, 1, e.getMessage())));
            }
            ConditionCache.put(key, checked);
        }
        try {
            CelAbstractSyntaxTree ast = checked;
            if (!ast.getResultType().equals(SimpleType.BOOL) && !ast.getResultType().equals(SimpleType.DYN)) {
                return new Result(null, List.of(new ExprError(1, 1,
                        "condition must be a boolean, but this expression is of type " + ast.getResultType().name())));
            }
            java.util.Set<String> roots = new java.util.HashSet<>(SCHEMA.variables().keySet());
            roots.addAll(extraRoots);
            List<String> refs = FactRefs.of(ast.getExpr(), roots);
            return new Result(new Condition(text, RUNTIME.createProgram(ast), List.copyOf(refs), element), List.of());
        } catch (CelEvaluationException e) {
            return new Result(null, List.of(new ExprError(1, 1, e.getMessage())));
        }
    }

    private static final java.util.regex.Pattern UNDECLARED = java.util.regex.Pattern.compile("undeclared reference to '([^']+)'");
    private static final java.util.regex.Pattern UNDEFINED_FIELD = java.util.regex.Pattern.compile("undefined field '([^']+)'");

    /**
     * " (did you mean 'platform'?)" for CEL's "undeclared reference to 'platfrom'" (closest fact
     * root or element variable) and "undefined field 'hypervisr'" (closest field of any fact
     * group); empty when nothing is close ({@link dev.chameleon.model.DidYouMean}).
     */
    private static String didYouMean(String message, List<String> extraRoots) {
        var m = UNDECLARED.matcher(message);
        java.util.Collection<String> known;
        if (m.find()) {
            known = new java.util.TreeSet<>(SCHEMA.variables().keySet());
            known.addAll(extraRoots);
        } else if ((m = UNDEFINED_FIELD.matcher(message)).find()) {
            if (m.group(1).matches("avg\\d+[a-z]*")) {
                // a window the daemon does not compute (host.cpu.steal.avg7m)
                return "; windowed facts are avg1m, avg5m and avg15m (host.cpu.steal, host.cpu.iowait,"
                        + " host.memory.available), and avg10, avg60, avg300 of host.pressure";
            }
            known = new java.util.TreeSet<>();
            for (var t : SCHEMA.types()) {
                if (t instanceof dev.cel.common.types.StructType st) {
                    known.addAll(st.fieldNames());
                }
            }
        } else {
            return "";
        }
        return dev.chameleon.model.DidYouMean.suggest(m.group(1), known).map(x -> " (did you mean '" + x + "'?)").orElse("");
    }

    private static CelCompiler compiler(String element) {
        String key = element == null ? "" : element;
        CelCompiler c = compilers.get(key);
        if (c == null) {
            var b = CelCompilerFactory.standardCelCompilerBuilder()
                    .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                    .setOptions(CelOptions.current().build())
                    .setTypeProvider(SCHEMA)
                    .addFunctionDeclarations(Functions.declarations());
            SCHEMA.variables().forEach(b::addVar);
            if (key.equals(FLEET)) {
                b.addVar(LABELS, dev.cel.common.types.MapType.create(SimpleType.STRING, SimpleType.STRING));
            } else if (element != null) {
                b.addVar(element, SCHEMA.elementType(element));
            }
            c = b.build();
            Map<String, CelCompiler> next = new LinkedHashMap<>(compilers);
            next.put(key, c);
            compilers = Map.copyOf(next);
        }
        return c;
    }

    /** Evaluates against facts (and an element for selectors). */
    public Outcome evaluate(FactSet facts, String element, Map<String, Object> elementValue) {
        Map<String, Object> vars = activation(facts);
        if (element != null) {
            vars.put(element, elementValue);
        }
        return evaluate(vars);
    }

    /**
     * The CEL variables for a fact set: every top-level fact of the schema, an absent list as an
     * empty list and an absent object as an empty map (so {@code has(...)} works on it). Build
     * once per fact set and reuse for every condition; add the element for selectors.
     */
    static Map<String, Object> activation(FactSet facts) {
        Map<String, Object> vars = new HashMap<>();
        for (String v : SCHEMA.variables().keySet()) {
            vars.put(v, facts.asMap().getOrDefault(v, SCHEMA.isList(v) ? List.of() : Map.of()));
        }
        return vars;
    }

    /** Evaluates with prepared variables ({@link #activation}). */
    Outcome evaluate(Map<String, Object> vars) {
        if (program == null) {
            return new Outcome(true, "");
        }
        try {
            // A resolver reads the map as it is; eval(Map) would copy it for every call.
            Object r = program.eval((CelVariableResolver) name -> java.util.Optional.ofNullable(vars.get(name)));
            if (r instanceof Boolean b) {
                return b ? TRUE : FALSE;
            }
            return new Outcome(false, "condition gave " + r + ", not a boolean");
        } catch (CelEvaluationException e) {
            Throwable c = e.getCause();
            while (c != null && c.getCause() != null && c.getMessage() == null) {
                c = c.getCause();
            }
            // "evaluation error at <input>:8: key 'x' is not present in map." → the part for people
            String m = String.valueOf(e.getMessage()).replaceFirst("^evaluation error at <input>:\\d+: ", "");
            m = m.endsWith(".") ? m.substring(0, m.length() - 1) : m;
            String cause = c == null || c.getMessage() == null ? "" : c.getMessage().replaceFirst("\\.$", "");
            String msg = m + (cause.isEmpty() || m.contains(cause) ? "" : ": " + cause);
            if (msg.contains("is not present in map")) {
                msg += " (a fact this condition reads is absent on this machine; guard it with has(...))";
            }
            return new Outcome(false, msg);
        } catch (RuntimeException e) {
            return new Outcome(false, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static final Outcome TRUE = new Outcome(true, "");
    private static final Outcome FALSE = new Outcome(false, "");

    /**
     * The values of the facts the expression mentions, each as {@code path = value}; for a
     * path through a list ({@code disks[].virtio}) the values of all elements, as a list.
     */
    public List<String> describeFacts(FactSet facts, String element, Map<String, Object> elementValue) {
        List<String> out = new ArrayList<>();
        for (String ref : references) {
            Object root;
            String rest;
            if (element != null && (ref.equals(element) || ref.startsWith(element + "."))) {
                root = elementValue;
                rest = ref.substring(element.length());
            } else {
                root = facts.asMap();
                rest = "." + ref;
            }
            Object v = lookup(root, rest);
            String shown = v == null ? "(absent)" : v instanceof String s ? "\"" + s + "\"" : String.valueOf(v);
            out.add(ref + " = " + (shown.length() > 120 ? shown.substring(0, 119) + "…" : shown));
        }
        return out;
    }

    /** Follows {@code .a.b[].c} from a value; {@code []} maps over a list's elements, leaving out absent values. */
    private static Object lookup(Object v, String path) {
        if (path.isEmpty() || v == null) {
            return v;
        }
        if (path.startsWith("[]")) {
            if (!(v instanceof List<?> l)) {
                return null;
            }
            List<Object> out = new ArrayList<>();
            for (Object x : l) {
                Object y = lookup(x, path.substring(2));
                if (y != null) {
                    out.add(y);
                }
            }
            return out;
        }
        int end = path.length();
        for (int i = 1; i < path.length(); i++) {
            if (path.charAt(i) == '.' || path.charAt(i) == '[') {
                end = i;
                break;
            }
        }
        Object next = v instanceof Map<?, ?> m ? m.get(path.substring(1, end)) : null;
        return lookup(next, path.substring(end));
    }

    /** The result of evaluating: whether it holds, and an error when it could not be evaluated. */
    public record Outcome(boolean holds, String error) {
        public boolean failed() {
            return !error.isEmpty();
        }
    }

    record ExprError(int line, int column, String message) {
    }

    record Result(Condition condition, List<ExprError> errors) {
    }
}

package dev.chameleon.policy;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import dev.chameleon.model.FactSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A compiled CEL expression over facts: a policy's {@code when:} or a setting's {@code select:}.
 *
 * <p>Compiled once, immutable and thread-safe; evaluated many times. Variables are the fact
 * set's top-level keys ({@code platform}, {@code cpu}, ...) and, in selectors, the element
 * ({@code disk}, {@code nic}). A result that is not a boolean, or an evaluation error such as a
 * missing key, is an {@link Outcome} with an error, never an exception.
 */
public final class Condition {
    /** Top-level fact keys that are maps. */
    static final List<String> MAP_VARS = List.of("platform", "cpu", "memory", "os", "kernel", "security", "meta");
    /** Top-level fact keys that are lists. */
    static final List<String> LIST_VARS = List.of("gpus", "nics", "disks", "apps");
    private static final Pattern FACT_REF = Pattern.compile(
            "\\b(platform|cpu|memory|os|kernel|security|meta|gpus|nics|disks|apps|disk|nic)((?:\\.[A-Za-z_][A-Za-z0-9_]*)+)");

    private static final CelType MAP = MapType.create(SimpleType.STRING, SimpleType.DYN);
    private static final CelType LIST = ListType.create(SimpleType.DYN);
    private static volatile Map<String, CelCompiler> compilers = Map.of();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
            .setOptions(CelOptions.current().build()).build();

    private final String text;
    private final CelRuntime.Program program;
    private final List<String> references;

    private Condition(String text, CelRuntime.Program program, List<String> references) {
        this.text = text;
        this.program = program;
        this.references = references;
    }

    /** The condition that is always true (a policy without {@code when:}). */
    public static Condition always() {
        return new Condition("true", null, List.of());
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
        CelCompiler compiler = compiler(element);
        CelValidationResult r = compiler.compile(text);
        if (r.hasError()) {
            List<ExprError> errors = new ArrayList<>();
            for (CelIssue issue : r.getErrors()) {
                errors.add(new ExprError(issue.getSourceLocation().getLine(), issue.getSourceLocation().getColumn() + 1,
                        issue.getMessage()));
            }
            return new Result(null, errors);
        }
        try {
            CelAbstractSyntaxTree ast = r.getAst();
            if (!ast.getResultType().equals(SimpleType.BOOL) && !ast.getResultType().equals(SimpleType.DYN)) {
                return new Result(null, List.of(new ExprError(1, 1,
                        "condition must be a boolean, but this expression is of type " + ast.getResultType().name())));
            }
            Set<String> refs = new LinkedHashSet<>();
            Matcher m = FACT_REF.matcher(text);
            while (m.find()) {
                refs.add(m.group(1) + m.group(2));
            }
            return new Result(new Condition(text, RUNTIME.createProgram(ast), List.copyOf(refs)), List.of());
        } catch (CelValidationException | CelEvaluationException e) {
            return new Result(null, List.of(new ExprError(1, 1, e.getMessage())));
        }
    }

    private static CelCompiler compiler(String element) {
        String key = element == null ? "" : element;
        CelCompiler c = compilers.get(key);
        if (c == null) {
            var b = CelCompilerFactory.standardCelCompilerBuilder()
                    .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                    .setOptions(CelOptions.current().build());
            for (String v : MAP_VARS) {
                b.addVar(v, MAP);
            }
            for (String v : LIST_VARS) {
                b.addVar(v, LIST);
            }
            if (element != null) {
                b.addVar(element, MAP);
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
        if (program == null) {
            return new Outcome(true, "");
        }
        Map<String, Object> vars = new LinkedHashMap<>();
        for (String v : MAP_VARS) {
            vars.put(v, facts.asMap().getOrDefault(v, Map.of()));
        }
        for (String v : LIST_VARS) {
            vars.put(v, facts.asMap().getOrDefault(v, List.of()));
        }
        if (element != null) {
            vars.put(element, elementValue);
        }
        try {
            Object r = program.eval(vars);
            if (r instanceof Boolean b) {
                return new Outcome(b, "");
            }
            return new Outcome(false, "condition gave " + r + ", not a boolean");
        } catch (CelEvaluationException e) {
            // "evaluation error at <input>:8: key 'x' is not present in map." → the part for people
            String m = String.valueOf(e.getMessage()).replaceFirst("^evaluation error at <input>:\\d+: ", "");
            return new Outcome(false, m.endsWith(".") ? m.substring(0, m.length() - 1) : m);
        } catch (RuntimeException e) {
            return new Outcome(false, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** The values of the facts the expression mentions, each as {@code path = value}. */
    public List<String> describeFacts(FactSet facts, String element, Map<String, Object> elementValue) {
        List<String> out = new ArrayList<>();
        for (String ref : references) {
            Object v;
            if (element != null && (ref.equals(element) || ref.startsWith(element + "."))) {
                v = ref.equals(element) ? elementValue : FactSet.of(Map.of(element, elementValue), Map.of()).get(ref).orElse(null);
            } else {
                v = facts.get(ref).orElse(null);
            }
            out.add(ref + " = " + (v == null ? "(absent)" : v instanceof String s ? "\"" + s + "\"" : String.valueOf(v)));
        }
        return out;
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

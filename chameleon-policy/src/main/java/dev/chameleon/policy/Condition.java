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
    /**
     * Iterations of comprehension loops ({@code exists}, {@code all}, {@code map}, {@code filter})
     * one evaluation may make, all loops together: far above what a condition over one machine's
     * facts needs (its lists are disks, NICs, GPUs, applications), and a bound on a hostile or
     * mistaken expression ({@code [1,2,...].all(a, [..].all(b, ...))} nested eight deep) that would
     * otherwise run for minutes in the agent or the control plane. Beyond it the evaluation is an
     * error outcome ("iteration budget exceeded").
     */
    public static final int MAX_ITERATIONS = 10_000;
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
            .setOptions(CelOptions.current().comprehensionMaxIterations(MAX_ITERATIONS).build())
            .addFunctionBindings(Functions.bindings())
            .build();

    private final String text;
    private final CelRuntime.Program program;
    /** The checked AST (null for {@link #always()}); its top-level conjuncts explain a false result. */
    private final CelAbstractSyntaxTree ast;
    /** The top-level {@code &&} clauses, built on first use (most conditions are never explained). */
    private volatile List<Clause> clauses;
    private final List<String> references;

    private final String element;

    private Condition(String text, CelRuntime.Program program, List<String> references, String element) {
        this(text, program, references, element, null);
    }

    private Condition(String text, CelRuntime.Program program, List<String> references, String element, CelAbstractSyntaxTree ast) {
        this.ast = ast;
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
            return new Result(new Condition(text, RUNTIME.createProgram(ast), List.copyOf(refs), element, ast), List.of());
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
            msg = keyMissing(msg);
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
     * The optional facts this expression reads without a {@code has()} guard: a field selected
     * from an object of the fact schema that is not in its {@code required:} list (so some
     * machines leave it out, docs/facts.md "when absent"), with no {@code has()} of that very path
     * anywhere in the expression ({@code has(memory.thp.enabled)} guards {@code memory.thp.enabled},
     * not {@code memory.thp}: CEL evaluates has()'s operand, an error where it is absent). Reading such a fact where it is absent makes the
     * condition an error rather than false. A path through an index or a call is not checked.
     *
     * @return each unguarded path once ({@code memory.thp.enabled}, {@code disk.rotational}),
     *         with its 1-based line and column inside the expression, in order of first use; a
     *         path whose longer path is unguarded too ({@code memory.thp} of
     *         {@code memory.thp.enabled}) is part of the longer one's guard, not a read of its own
     */
    public List<UnguardedRead> unguardedOptionalReads() {
        if (ast == null) {
            return List.of();
        }
        Map<Long, Integer> positions = ast.getSource().getPositionsMap();
        java.util.Set<String> guarded = new java.util.HashSet<>();
        List<dev.cel.common.ast.CelExpr> reads = new ArrayList<>();
        List<KeyLookup> lookups = keyLookups();
        dev.cel.common.navigation.CelNavigableExpr.fromExpr(ast.getExpr()).allNodes().forEach(n -> {
            dev.cel.common.ast.CelExpr e = n.expr();
            KeyLookup in = keyTest(e);
            if (in != null) {
                guarded.add(in.text());
            }
            if (e.getKind() != dev.cel.common.ast.CelExpr.ExprKind.Kind.SELECT) {
                return;
            }
            String path = path(e);
            if (path == null) {
                return;
            }
            if (e.select().testOnly()) {
                guarded.add(path);
                return;
            }
            dev.cel.common.types.CelType operandType = ast.getTypeMap().get(e.select().operand().id());
            // by kind and name: an AST read back from the ConditionCache holds type references, not the schema's StructTypes
            if (operandType != null && operandType.kind() == dev.cel.common.types.CelKind.STRUCT
                    && !SCHEMA.required(operandType.name(), e.select().field())) {
                reads.add(e);
            }
        });
        Map<String, int[]> out = new LinkedHashMap<>();
        for (dev.cel.common.ast.CelExpr e : reads) {
            String path = path(e);
            // only a has() of this very path guards it: has(a.b.c) evaluates a.b (an error where a.b is absent), so it guards a.b.c alone
            boolean isGuarded = guarded.contains(path);
            if (isGuarded || out.containsKey(path)) {
                continue;
            }
            out.put(path, lineColumn(e, positions));
        }
        List<UnguardedRead> reads2 = new ArrayList<>();
        for (Map.Entry<String, int[]> r : out.entrySet()) {
            String path = r.getKey();
            if (out.keySet().stream().anyMatch(o -> o.startsWith(path + "."))) {
                continue;
            }
            List<String> guard = new ArrayList<>();
            for (String prefix : out.keySet()) {
                if (path.equals(prefix) || path.startsWith(prefix + ".")) {
                    guard.add("has(" + prefix + ")");
                }
            }
            guard.sort(java.util.Comparator.comparingInt(String::length));
            reads2.add(new UnguardedRead(r.getValue()[0], r.getValue()[1], path, String.join(" && ", guard)));
        }
        // a lookup by key (security.vulnerabilities["x"], os.tools["x"]) is an error where the map does not hold the key
        java.util.Set<String> seen = new java.util.HashSet<>();
        Map<Long, dev.cel.common.navigation.CelNavigableExpr> nodes = new java.util.HashMap<>();
        dev.cel.common.navigation.CelNavigableExpr.fromExpr(ast.getExpr()).allNodes().forEach(n -> nodes.put(n.id(), n));
        for (KeyLookup k : lookups) {
            if (guardedByPolarity(nodes.get(k.expr().id()), k) || !seen.add(k.indexed())) {
                continue;
            }
            List<String> guard = new ArrayList<>();
            reads2.removeIf(r -> {
                boolean covers = r.path().equals(k.map()) || k.map().startsWith(r.path() + ".");
                if (covers) {
                    guard.add(r.guard());
                }
                return covers;
            });
            guard.add("\"" + k.key() + "\" in " + k.map());
            int[] at = lineColumn(k.expr(), positions);
            reads2.add(new UnguardedRead(at[0], at[1], k.text(), String.join(" && ", guard)));
        }
        reads2.sort(java.util.Comparator.comparingInt(UnguardedRead::line).thenComparingInt(UnguardedRead::column));
        return List.copyOf(reads2);
    }

    /**
     * Whether the lookup at {@code n} is evaluated only where its key is present: on the way up
     * to the root, an {@code &&} whose other side is true only with the key there ({@code "k" in m},
     * {@code has(m.k)}, a conjunction holding one, or the negation of something false only without
     * it), an {@code ||} whose other side is false only with the key there ({@code !("k" in m)}),
     * or a ternary whose condition says the key is there on the lookup's branch. CEL's {@code &&}
     * and {@code ||} are commutative (a false side makes {@code &&} false even when the other side
     * is an error), so the guard may stand on either side. A test of the key that does not decide
     * the lookup's branch ({@code !("k" in m) && m["k"]}, {@code "k" in m || m["k"]}) guards nothing.
     */
    private static boolean guardedByPolarity(dev.cel.common.navigation.CelNavigableExpr n, KeyLookup k) {
        dev.cel.common.navigation.CelNavigableExpr child = n;
        while (child != null && child.parent().isPresent()) {
            dev.cel.common.navigation.CelNavigableExpr parent = child.parent().get();
            dev.cel.common.ast.CelExpr p = parent.expr();
            if (p.getKind() == dev.cel.common.ast.CelExpr.ExprKind.Kind.CALL) {
                String f = p.call().function();
                List<dev.cel.common.ast.CelExpr> args = p.call().args();
                long id = child.id();
                if (f.equals("_&&_") && args.size() == 2) {
                    dev.cel.common.ast.CelExpr other = args.get(0).id() == id ? args.get(1) : args.get(0);
                    if (whenTrue(other, k)) {
                        return true;
                    }
                } else if (f.equals("_||_") && args.size() == 2) {
                    dev.cel.common.ast.CelExpr other = args.get(0).id() == id ? args.get(1) : args.get(0);
                    if (whenFalse(other, k)) {
                        return true;
                    }
                } else if (f.equals("_?_:_") && args.size() == 3) {
                    if (args.get(1).id() == id && whenTrue(args.get(0), k) || args.get(2).id() == id && whenFalse(args.get(0), k)) {
                        return true;
                    }
                }
            }
            child = parent;
        }
        return false;
    }

    /** {@code e} true means the key of {@code k} is present. */
    private static boolean whenTrue(dev.cel.common.ast.CelExpr e, KeyLookup k) {
        if (tests(e, k)) {
            return true;
        }
        if (e.getKind() != dev.cel.common.ast.CelExpr.ExprKind.Kind.CALL) {
            return false;
        }
        List<dev.cel.common.ast.CelExpr> a = e.call().args();
        return switch (e.call().function()) {
            case "_&&_" -> a.size() == 2 && (whenTrue(a.get(0), k) || whenTrue(a.get(1), k));
            case "_||_" -> a.size() == 2 && whenTrue(a.get(0), k) && whenTrue(a.get(1), k);
            case "!_" -> a.size() == 1 && whenFalse(a.get(0), k);
            default -> false;
        };
    }

    /** {@code e} false means the key of {@code k} is present. */
    private static boolean whenFalse(dev.cel.common.ast.CelExpr e, KeyLookup k) {
        if (e.getKind() != dev.cel.common.ast.CelExpr.ExprKind.Kind.CALL) {
            return false;
        }
        List<dev.cel.common.ast.CelExpr> a = e.call().args();
        return switch (e.call().function()) {
            case "_||_" -> a.size() == 2 && (whenFalse(a.get(0), k) || whenFalse(a.get(1), k));
            case "_&&_" -> a.size() == 2 && whenFalse(a.get(0), k) && whenFalse(a.get(1), k);
            case "!_" -> a.size() == 1 && whenTrue(a.get(0), k);
            default -> false;
        };
    }

    /** {@code "key" in MAP} or {@code has(MAP.key)} for the map and key of {@code k}. */
    private static boolean tests(dev.cel.common.ast.CelExpr e, KeyLookup k) {
        KeyLookup in = keyTest(e);
        if (in != null) {
            return in.map().equals(k.map()) && in.key().equals(k.key());
        }
        return e.getKind() == dev.cel.common.ast.CelExpr.ExprKind.Kind.SELECT && e.select().testOnly()
                && (k.map() + "." + k.key()).equals(path(e));
    }

    /** 1-based line and column of the start of {@code e} in {@link #text}. */
    private int[] lineColumn(dev.cel.common.ast.CelExpr e, Map<Long, Integer> positions) {
        int at = dev.cel.common.navigation.CelNavigableExpr.fromExpr(e).allNodes()
                .map(x -> positions.getOrDefault(x.id(), Integer.MAX_VALUE)).min(Integer::compare).orElse(Integer.MAX_VALUE);
        // line and column counted here: an AST read back from the ConditionCache keeps the offsets
        // but not the source text, and its own offset-to-line table answers wrong columns
        int line = 1;
        int column = 1;
        int[] cps = text.codePoints().toArray();
        for (int i = 0; i < Math.min(at, cps.length); i++) {
            if (cps[i] == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        return new int[] {line, column};
    }

    /** A fact map looked up (or tested) by a constant key: {@code map["key"]}, or {@code map.key} when {@code dotted}. */
    private record KeyLookup(String map, String key, dev.cel.common.ast.CelExpr expr, boolean dotted) {
        KeyLookup(String map, String key, dev.cel.common.ast.CelExpr expr) {
            this(map, key, expr, false);
        }

        String text() {
            return dotted ? map + "." + key : map + "[\"" + key + "\"]";
        }

        String indexed() {
            return map + "[\"" + key + "\"]";
        }
    }

    /** Every {@code PATH["key"]} on a fact map in the expression, in order. */
    private List<KeyLookup> keyLookups() {
        List<KeyLookup> out = new ArrayList<>();
        dev.cel.common.navigation.CelNavigableExpr.fromExpr(ast.getExpr()).allNodes().forEach(n -> {
            dev.cel.common.ast.CelExpr e = n.expr();
            if (e.getKind() == dev.cel.common.ast.CelExpr.ExprKind.Kind.SELECT && !e.select().testOnly()) {
                dev.cel.common.types.CelType t = ast.getTypeMap().get(e.select().operand().id());
                String path = path(e.select().operand());
                if (path != null && t != null && t.kind() == dev.cel.common.types.CelKind.MAP) {
                    out.add(new KeyLookup(path, e.select().field(), e, true));
                }
                return;
            }
            if (e.getKind() != dev.cel.common.ast.CelExpr.ExprKind.Kind.CALL || !e.call().function().equals("_[_]")
                    || e.call().args().size() != 2) {
                return;
            }
            dev.cel.common.ast.CelExpr map = e.call().args().get(0);
            dev.cel.common.ast.CelExpr key = e.call().args().get(1);
            dev.cel.common.types.CelType t = ast.getTypeMap().get(map.id());
            String path = path(map);
            if (path != null && t != null && t.kind() == dev.cel.common.types.CelKind.MAP
                    && key.getKind() == dev.cel.common.ast.CelExpr.ExprKind.Kind.CONSTANT
                    && key.constant().getKind() == dev.cel.common.ast.CelConstant.Kind.STRING_VALUE) {
                out.add(new KeyLookup(path, key.constant().stringValue(), e));
            }
        });
        return out;
    }

    /** {@code "key" in PATH} as the lookup it guards; null for anything else. */
    private static KeyLookup keyTest(dev.cel.common.ast.CelExpr e) {
        if (e.getKind() != dev.cel.common.ast.CelExpr.ExprKind.Kind.CALL || !e.call().function().equals("@in") || e.call().args().size() != 2) {
            return null;
        }
        dev.cel.common.ast.CelExpr key = e.call().args().get(0);
        String path = path(e.call().args().get(1));
        if (path == null || key.getKind() != dev.cel.common.ast.CelExpr.ExprKind.Kind.CONSTANT
                || key.constant().getKind() != dev.cel.common.ast.CelConstant.Kind.STRING_VALUE) {
            return null;
        }
        return new KeyLookup(path, key.constant().stringValue(), e);
    }

    /**
     * What a bare runtime error from CEL means: a map looked up by a key it does not hold gives an
     * error whose message is the key alone ({@code x}); said in full with the lookup and its guard.
     */
    private String keyMissing(String message) {
        if (ast == null) {
            return message;
        }
        for (KeyLookup k : keyLookups()) {
            if (k.key().equals(message)) {
                return k.text() + ": key '" + k.key() + "' is not present in " + k.map() + " on this machine; look it up only when "
                        + "present: \"" + k.key() + "\" in " + k.map() + " && ...";
            }
        }
        return message;
    }

    /**
     * An optional fact read without {@code has()}.
     *
     * @param line   1-based line inside the expression
     * @param column 1-based column inside the expression
     * @param path   the path read ({@code memory.thp.enabled})
     * @param guard  the guard that makes it safe ({@code has(memory.thp) && has(memory.thp.enabled)})
     */
    public record UnguardedRead(int line, int column, String path, String guard) {
    }

    /** {@code a.b.c} for a chain of selects on an identifier; null through an index or a call. */
    private static String path(dev.cel.common.ast.CelExpr e) {
        return switch (e.getKind()) {
            case IDENT -> e.ident().name();
            case SELECT -> {
                String operand = path(e.select().operand());
                yield operand == null ? null : operand + "." + e.select().field();
            }
            default -> null;
        };
    }

    /**
     * Why a {@code when:} condition that is a conjunction ({@code a && b && c}, parentheses and
     * nesting flattened) did not hold: its first clause, in written order, that is false or
     * cannot be evaluated here. Each clause is evaluated on its own from the condition's checked
     * AST (no second compile), in the same fact variables as the whole ({@link #activation}).
     *
     * @return the clause as CEL text (unparsed from the AST, so spacing is CEL's) with the facts
     *         it reads, {@code path = value}; empty when the condition is not a conjunction of at
     *         least two clauses, or when every clause holds (the whole is then false only through
     *         short-circuit errors, which {@link Outcome#error()} already names)
     */
    public java.util.Optional<FailedClause> failingClause(FactSet facts) {
        if (ast == null || element != null) {
            return java.util.Optional.empty();
        }
        List<Clause> cs = clauses();
        if (cs.size() < 2) {
            return java.util.Optional.empty();
        }
        Map<String, Object> vars = activation(facts);
        for (Clause c : cs) {
            Condition cc = c.condition();
            if (cc == null) {
                return java.util.Optional.empty();
            }
            Outcome o = cc.evaluate(vars);
            if (!o.holds()) {
                return java.util.Optional.of(new FailedClause(cc.text(), cc.describeFacts(facts, null, null), o.error()));
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * A clause of a conjunction that did not hold.
     *
     * @param clause the clause as CEL text
     * @param facts  the facts it reads, {@code path = value}
     * @param error  why it could not be evaluated, or empty when it was simply false
     */
    public record FailedClause(String clause, List<String> facts, String error) {
        public FailedClause {
            facts = List.copyOf(facts);
        }
    }

    /**
     * One clause of a conjunction; its program is made when first evaluated, so explaining a
     * condition that fails at its first clause costs one program, not one per clause.
     */
    private static final class Clause {
        private final String text;
        private final CelAbstractSyntaxTree sub;
        private final List<String> references;
        private volatile Condition condition;

        Clause(String text, CelAbstractSyntaxTree sub, List<String> references) {
            this.text = text;
            this.sub = sub;
            this.references = references;
        }

        /** The clause as a condition, or null when the runtime cannot plan it alone. */
        Condition condition() {
            Condition c = condition;
            if (c == null) {
                try {
                    c = new Condition(text, RUNTIME.createProgram(sub), references, null, sub);
                } catch (CelEvaluationException e) {
                    return null;
                }
                condition = c;
            }
            return c;
        }
    }

    private List<Clause> clauses() {
        List<Clause> cs = clauses;
        if (cs == null) {
            List<dev.cel.common.ast.CelExpr> parts = new ArrayList<>();
            List<Integer> operators = new ArrayList<>();
            conjuncts(ast.getExpr(), parts, operators);
            List<Clause> built = new ArrayList<>();
            if (parts.size() >= 2) {
                java.util.Set<String> roots = SCHEMA.variables().keySet();
                for (dev.cel.common.ast.CelExpr part : parts) {
                    String clauseText = clauseText(part, operators);
                    if (clauseText == null) {
                        built.clear(); // positions lost: explain nothing rather than half
                        break;
                    }
                    CelAbstractSyntaxTree sub = CelAbstractSyntaxTree.newCheckedAst(part, ast.getSource(), ast.getReferenceMap(), ast.getTypeMap());
                    built.add(new Clause(clauseText, sub, List.copyOf(FactRefs.of(part, roots))));
                }
            }
            cs = List.copyOf(built);
            clauses = cs;
        }
        return cs;
    }

    /** Flattens nested {@code &&} calls into their operands, keeping each operator's source offset. */
    private void conjuncts(dev.cel.common.ast.CelExpr e, List<dev.cel.common.ast.CelExpr> out, List<Integer> operators) {
        if (e.getKind() == dev.cel.common.ast.CelExpr.ExprKind.Kind.CALL && e.call().function().equals("_&&_")
                && e.call().args().size() == 2 && e.call().target().isEmpty()) {
            Integer at = ast.getSource().getPositionsMap().get(e.id());
            if (at != null) {
                operators.add(at);
            }
            for (dev.cel.common.ast.CelExpr a : e.call().args()) {
                conjuncts(a, out, operators);
            }
        } else {
            out.add(e);
        }
    }

    /**
     * A clause as the author wrote it: the source from its first node to the next {@code &&}
     * after its last node, with the parentheses that belong to the enclosing expression dropped.
     * Null when the AST carries no positions for it.
     */
    private String clauseText(dev.cel.common.ast.CelExpr part, List<Integer> operators) {
        Map<Long, Integer> positions = ast.getSource().getPositionsMap();
        int[] cps = text.codePoints().toArray();
        int lo = Integer.MAX_VALUE;
        int hi = -1;
        for (long id : (Iterable<Long>) dev.cel.common.navigation.CelNavigableExpr.fromExpr(part).allNodes().map(n -> n.id())::iterator) {
            Integer at = positions.get(id);
            if (at != null) {
                lo = Math.min(lo, at);
                hi = Math.max(hi, at);
            }
        }
        if (hi < 0 || lo >= cps.length) {
            return null;
        }
        int end = cps.length;
        for (int op : operators) {
            if (op > hi && op < end) {
                end = op;
            }
        }
        String t = new String(cps, lo, end - lo).strip();
        // a clause cut out of "(a || b) && c" is "a || b)": drop the closing parentheses it did
        // not open, then open the ones it closes in the middle ("a || b) == true")
        while (t.endsWith(")") && depth(t)[1] < 0) {
            t = t.substring(0, t.length() - 1).strip();
        }
        int[] d = depth(t);
        return d[0] < 0 ? "(".repeat(-d[0]) + t : t;
    }

    /** {lowest depth reached, final depth} of the parentheses of a CEL text, outside string literals. */
    private static int[] depth(String t) {
        int depth = 0;
        int min = 0;
        char quote = 0;
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
                min = Math.min(min, depth);
            }
        }
        return new int[] {min, depth};
    }

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

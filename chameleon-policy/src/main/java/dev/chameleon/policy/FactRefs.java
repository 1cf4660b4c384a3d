package dev.chameleon.policy;

import dev.cel.common.ast.CelExpr;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fact paths a checked CEL expression reads, found in its syntax tree: {@code platform.hypervisor},
 * {@code memory.thp} (also inside {@code has(...)}), and for comprehensions over a list fact the
 * element's fields as {@code disks[].virtio}. Method receivers count ({@code kernel.release} in
 * {@code kernel.release.startsWith("5.")}); string literals never do.
 */
final class FactRefs {
    private final Set<String> roots;
    private final Set<String> out = new LinkedHashSet<>();

    private FactRefs(Set<String> roots) {
        this.roots = roots;
    }

    /** The paths in order of first use. {@code roots}: the fact and element variable names. */
    static List<String> of(CelExpr expr, Set<String> roots) {
        FactRefs r = new FactRefs(roots);
        r.walk(expr, Map.of());
        return List.copyOf(r.out);
    }

    private void walk(CelExpr e, Map<String, String> scope) {
        switch (e.getKind()) {
            case IDENT, SELECT -> {
                String p = path(e, scope);
                if (p != null) {
                    out.add(p);
                } else if (e.getKind() == CelExpr.ExprKind.Kind.SELECT) {
                    walk(e.select().operand(), scope);
                }
            }
            case CALL -> {
                e.call().target().ifPresent(t -> walk(t, scope));
                e.call().args().forEach(a -> walk(a, scope));
            }
            case LIST -> e.list().elements().forEach(x -> walk(x, scope));
            case MAP -> e.map().entries().forEach(x -> {
                walk(x.key(), scope);
                walk(x.value(), scope);
            });
            case COMPREHENSION -> {
                CelExpr.CelComprehension c = e.comprehension();
                String range = path(c.iterRange(), scope);
                Map<String, String> inner = new HashMap<>(scope);
                if (range != null) {
                    // the loop reads the elements' fields; name those, not the whole list
                    inner.put(c.iterVar(), range + "[]");
                } else {
                    walk(c.iterRange(), scope);
                    inner.put(c.iterVar(), null);
                }
                inner.put(c.accuVar(), null);
                walk(c.accuInit(), scope);
                walk(c.loopCondition(), inner);
                walk(c.loopStep(), inner);
                walk(c.result(), inner);
            }
            default -> {
            }
        }
    }

    /** The dotted path of an identifier or field selection rooted at a fact, else null. */
    private String path(CelExpr e, Map<String, String> scope) {
        if (e.getKind() == CelExpr.ExprKind.Kind.IDENT) {
            String name = e.ident().name();
            if (scope.containsKey(name)) {
                return scope.get(name);
            }
            return roots.contains(name) ? name : null;
        }
        if (e.getKind() == CelExpr.ExprKind.Kind.SELECT) {
            String base = path(e.select().operand(), scope);
            return base == null ? null : base + "." + e.select().field();
        }
        return null;
    }
}

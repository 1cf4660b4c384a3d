package dev.chameleon.policy;

import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelFunctionBinding;
import java.util.ArrayList;
import java.util.List;

/**
 * The helper functions policies may call in CEL, beyond CEL's standard library: declarations
 * for the compiler and their bindings for the runtime, kept side by side.
 *
 * <ul>
 *   <li>{@code kib(n)}, {@code mib(n)}, {@code gib(n)}, {@code tib(n)}: int → int, bytes
 *       (binary units: {@code gib(1) == 1073741824}); overflow is an evaluation error.</li>
 *   <li>{@code version_compare(a, b)}: string, string → int (-1, 0, 1), comparing the leading
 *       dotted numbers of two versions ({@code "5.15.0-91-generic"} reads as 5.15.0.91; a missing
 *       component counts as 0; text after the numbers is ignored).</li>
 *   <li>{@code version_at_least(v, min)}: string, string → bool, {@code version_compare(v, min) >= 0};
 *       e.g. {@code version_at_least(kernel.release, "5.10")}.</li>
 * </ul>
 */
final class Functions {
    private Functions() {
    }

    private static final String[][] UNITS = {{"kib", "10"}, {"mib", "20"}, {"gib", "30"}, {"tib", "40"}};

    static List<CelFunctionDecl> declarations() {
        List<CelFunctionDecl> out = new ArrayList<>();
        for (String[] u : UNITS) {
            out.add(CelFunctionDecl.newFunctionDeclaration(u[0],
                    CelOverloadDecl.newGlobalOverload(u[0] + "_int", "bytes in " + u[0] + " units", SimpleType.INT, SimpleType.INT)));
        }
        out.add(CelFunctionDecl.newFunctionDeclaration("version_compare",
                CelOverloadDecl.newGlobalOverload("version_compare_string_string", "-1, 0 or 1", SimpleType.INT,
                        SimpleType.STRING, SimpleType.STRING)));
        out.add(CelFunctionDecl.newFunctionDeclaration("version_at_least",
                CelOverloadDecl.newGlobalOverload("version_at_least_string_string", "v >= min", SimpleType.BOOL,
                        SimpleType.STRING, SimpleType.STRING)));
        return out;
    }

    static List<CelFunctionBinding> bindings() {
        List<CelFunctionBinding> out = new ArrayList<>();
        for (String[] u : UNITS) {
            int shift = Integer.parseInt(u[1]);
            out.add(CelFunctionBinding.from(u[0] + "_int", Long.class, n -> {
                if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
                    throw new ArithmeticException(u[0] + "(" + n + ") is out of range");
                }
                return n << shift;
            }));
        }
        out.add(CelFunctionBinding.from("version_compare_string_string", String.class, String.class,
                (a, b) -> (long) compareVersions(a, b)));
        out.add(CelFunctionBinding.from("version_at_least_string_string", String.class, String.class,
                (a, b) -> compareVersions(a, b) >= 0));
        return out;
    }

    /** Compares the leading dotted (or dashed) numbers of two version strings; -1, 0 or 1. */
    static int compareVersions(String a, String b) {
        List<Long> x = numbers(a);
        List<Long> y = numbers(b);
        for (int i = 0; i < Math.max(x.size(), y.size()); i++) {
            long p = i < x.size() ? x.get(i) : 0;
            long q = i < y.size() ? y.get(i) : 0;
            if (p != q) {
                return p < q ? -1 : 1;
            }
        }
        return 0;
    }

    /** {@code "5.15.0-91-generic"} → [5, 15, 0, 91]; stops at the first part that is not a number. */
    static List<Long> numbers(String v) {
        List<Long> out = new ArrayList<>();
        String s = v.strip();
        if (s.startsWith("v") || s.startsWith("V")) {
            s = s.substring(1);
        }
        for (String part : s.split("[.\\-+_~]", -1)) {
            if (part.isEmpty() || part.length() > 18 || !part.chars().allMatch(Character::isDigit)) {
                if (!part.isEmpty() && Character.isDigit(part.charAt(0))) {
                    int i = 0;
                    while (i < part.length() && i < 18 && Character.isDigit(part.charAt(i))) {
                        i++;
                    }
                    out.add(Long.parseLong(part.substring(0, i)));
                }
                break;
            }
            out.add(Long.parseLong(part));
        }
        return out;
    }
}

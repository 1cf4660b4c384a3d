package dev.chameleon.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.model.FactSet;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The map-key guard of {@code policy validate} follows the guard's polarity: {@code "k" in m}
 * guards {@code m["k"]} only where it decides that the lookup runs with the key there (trial:
 * {@code !("k" in m) && m["k"]} satisfied the check, and errors wherever the key is absent).
 */
class KeyGuardPolarityTest {
    static final String LOOKUP = "os.tools[\"x\"]";

    /** The warnings about the lookup in a condition that reads it after {@code has(os.tools)}. */
    static boolean warned(String when) throws PolicyException {
        List<PolicyError> w = PolicySetTest.compile("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: p}
                spec:
                  when: 'has(os.tools) && (%s)'
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """.formatted(when)).warnings();
        return w.stream().anyMatch(e -> e.message().contains("looks up " + LOOKUP));
    }

    @Example
    void guardsThatDecideTheLookupsBranchCount() throws PolicyException {
        for (String guarded : List.of(
                "\"x\" in os.tools && os.tools[\"x\"]",
                "has(os.tools.x) && os.tools[\"x\"]",
                "!(\"x\" in os.tools) || os.tools[\"x\"]",
                "\"x\" in os.tools ? os.tools[\"x\"] : false",
                "!(\"x\" in os.tools) ? false : os.tools[\"x\"]",
                "platform.hypervisor == \"kvm\" && \"x\" in os.tools && os.tools[\"x\"]",
                "!!(\"x\" in os.tools) && os.tools[\"x\"]",
                "os.tools[\"x\"] && \"x\" in os.tools")) { // CEL's && is commutative: false && error is false
            assertThat(warned(guarded)).as(guarded).isFalse();
        }
    }

    @Example
    void testsOfTheKeyThatDoNotDecideTheBranchGuardNothing() throws PolicyException {
        for (String unguarded : List.of(
                "!(\"x\" in os.tools) && os.tools[\"x\"]",
                "\"x\" in os.tools || os.tools[\"x\"]",
                "\"x\" in os.tools ? false : os.tools[\"x\"]",
                "(\"x\" in os.tools || platform.hypervisor == \"kvm\") && os.tools[\"x\"]",
                "\"y\" in os.tools && os.tools[\"x\"]",
                "!has(os.tools.x) && os.tools[\"x\"]",
                "os.tools[\"x\"]")) {
            assertThat(warned(unguarded)).as(unguarded).isTrue();
        }
    }

    /**
     * Soundness on random conditions over the guard, the lookup and an unrelated fact: when
     * validate does not warn, the condition evaluates without an error on machines without the
     * key (with and without the unrelated fact true).
     */
    @Property(tries = 150)
    void noWarningMeansNoErrorWithoutTheKey(@ForAll("conditions") String when) throws PolicyException {
        if (warned(when)) {
            return; // a warning is allowed to be cautious; only its absence is a promise
        }
        PolicySet set = PolicySetTest.compile("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: p}
                spec:
                  when: 'has(os.tools) && (%s)'
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """.formatted(when));
        for (String hv : List.of("kvm", "none")) {
            FactSet facts = FactSet.of(Map.of("os", Map.of("tools", Map.of("y", true)), "platform", Map.of("hypervisor", hv)), Map.of());
            assertThat(set.evaluate(facts).outcomes().get(0).error()).as(when + " on " + hv).isNullOrEmpty();
        }
    }

    @Provide
    Arbitrary<String> conditions() {
        return expr(4);
    }

    private Arbitrary<String> expr(int depth) {
        Arbitrary<String> atom = Arbitraries.of("\"x\" in os.tools", "has(os.tools.x)", LOOKUP, "platform.hypervisor == \"kvm\"");
        if (depth == 0) {
            return atom;
        }
        Arbitrary<String> sub = Arbitraries.lazy(() -> expr(depth - 1));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, atom),
                net.jqwik.api.Tuple.of(2, net.jqwik.api.Combinators.combine(sub, sub).as((a, b) -> "(" + a + " && " + b + ")")),
                net.jqwik.api.Tuple.of(2, net.jqwik.api.Combinators.combine(sub, sub).as((a, b) -> "(" + a + " || " + b + ")")),
                net.jqwik.api.Tuple.of(1, sub.map(a -> "!(" + a + ")")),
                net.jqwik.api.Tuple.of(1, net.jqwik.api.Combinators.combine(sub, sub, sub).as((a, b, c) -> "(" + a + " ? " + b + " : " + c + ")")));
    }
}

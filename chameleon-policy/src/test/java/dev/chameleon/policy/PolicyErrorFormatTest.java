package dev.chameleon.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Field trial: a binary or 100,000-character line in a policy error was printed whole (escape
 * sequences reached the terminal). Now it is escaped, cut around the caret, and the caret still
 * points at the column.
 */
class PolicyErrorFormatTest {
    @Test
    void hugeLineIsCutAroundTheColumnAndTheCaretStillPoints() {
        String line = "    when: '" + "a".repeat(50_000) + " ==== " + "b".repeat(50_000) + "'";
        int column = line.indexOf("====") + 1;
        String f = new PolicyError("p.yaml", 6, column, "syntax error", line).format();
        String[] lines = f.split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[1]).hasSizeLessThan(130).startsWith("  …").endsWith("…").contains("====");
        assertThat(lines[2].indexOf('^')).isEqualTo(lines[1].indexOf("===="));
    }

    @Test
    void binaryBytesAndControlCharactersAreEscaped() {
        String line = "  - sysctl: {key: vm.swappiness, value: \u0000\u001b[31m\ufffd}";
        String f = new PolicyError("p.yaml", 7, 41, "bad value '\u0000\u001b[31m'", line).format();
        assertThat(f).doesNotContain("\u0000").doesNotContain("\u001b").doesNotContain("\ufffd")
                .contains("bad value '\\x00\\x1b[31m'").contains("value: \\x00\\x1b[31m\\ufffd}");
        String[] lines = f.split("\n");
        assertThat(lines[2].indexOf('^')).isEqualTo(lines[1].indexOf("\\x00"));
    }

    @Test
    void aRealPolicyWithAHugeLineGivesAShortError() {
        String text = "apiVersion: chameleon/v1\nkind: Policy\nmetadata: {name: x}\nspec:\n  when: '" + "platform.hypervisor == \"kvm\" && ".repeat(300)
                + "nosuch.fact'\n  settings:\n    - sysctl: {key: vm.swappiness, value: 10}\n";
        try {
            PolicySet.compile(java.util.List.of(new PolicySet.Source("p.yaml", text)));
            throw new AssertionError("expected an error");
        } catch (PolicyException e) {
            String f = e.errors().get(0).format();
            assertThat(f.length()).as(f).isLessThan(1500);
            assertThat(f).contains("undeclared reference to 'nosuch'");
        }
    }
}

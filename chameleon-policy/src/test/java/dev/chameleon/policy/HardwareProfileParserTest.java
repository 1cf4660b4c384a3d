package dev.chameleon.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link HardwareProfileParser}: the whole schema, and each bad input with its position. */
class HardwareProfileParserTest {
    static List<PolicyError> errors(String text) {
        List<PolicyError> errors = new ArrayList<>();
        List<HardwareProfile> ps = HardwareProfileParser.parse("p.yaml", text, errors);
        assertThat(ps).as("a file with a problem gives no profile").isEmpty();
        return errors;
    }

    @Test
    void readsEveryKey() {
        List<PolicyError> errors = new ArrayList<>();
        List<HardwareProfile> ps = HardwareProfileParser.parse("p.yaml", """
                apiVersion: chameleon/v1
                kind: HardwareProfile
                metadata: {name: db, description: big}
                spec:
                  nic: {model: paravirtual, minQueues: 4}
                  disk: {model: paravirtual}
                  cpu: {minCount: 8, maxThreadsPerCore: 1, flags: [aes, avx512f]}
                  memory: {minMiB: 16384, hugePageBacking: true}
                  gpu: {passthrough: true}
                  tpm: true
                  secureBoot: false
                ---
                apiVersion: chameleon/v1
                kind: HardwareProfile
                metadata: {name: small}
                spec: {cpu: {minCount: 1}}
                """, errors);
        assertThat(errors).isEmpty();
        assertThat(ps).containsExactly(
                new HardwareProfile("db", "big", "p.yaml", "paravirtual", 4L, "paravirtual", 8L, 1L, List.of("aes", "avx512f"),
                        16384L, true, true, true, false),
                new HardwareProfile("small", "", "p.yaml", null, null, null, 1L, null, List.of(), null, null, null, null, null));
    }

    @Test
    void badInputsArePositioned() {
        String head = "apiVersion: chameleon/v1\nkind: HardwareProfile\nmetadata: {name: x}\n";
        assertThat(errors(head + "spec:\n  nic: {model: e1000}\n")).extracting(PolicyError::format).containsExactly(
                "p.yaml:5:16: error: spec.nic.model must be 'paravirtual' (the detected platform's paravirtual device), found 'e1000'\n"
                        + "    nic: {model: e1000}\n                 ^");
        assertThat(errors(head + "spec:\n  cpu: {minCount: 0}\n").get(0).message()).isEqualTo("spec.cpu.minCount must be from 1 to 8192, found 0");
        assertThat(errors(head + "spec:\n  cpu: {minCount: many}\n").get(0).message())
                .isEqualTo("spec.cpu.minCount must be a whole number from 1 to 8192, found 'many'");
        // out of range: the range, positioned (a negative count was "must be a whole number"; 20 digits crashed)
        assertThat(errors(head + "spec:\n  cpu: {minCount: -2}\n")).extracting(PolicyError::format).containsExactly(
                "p.yaml:5:19: error: spec.cpu.minCount must be from 1 to 8192, found -2\n    cpu: {minCount: -2}\n                    ^");
        assertThat(errors(head + "spec:\n  memory: {minMiB: 99999999999999999999}\n").get(0).message())
                .isEqualTo("spec.memory.minMiB must be from 1 to 1073741824, found 99999999999999999999");
        assertThat(errors(head + "spec:\n  cpu: {maxThreadsPerCore: 9}\n  nic: {minQueues: 0}\n")).extracting(PolicyError::message).containsExactlyInAnyOrder(
                "spec.nic.minQueues must be from 1 to 4096, found 0", "spec.cpu.maxThreadsPerCore must be from 1 to 8, found 9");
        assertThat(errors(head + "spec:\n  tpm: yes please\n").get(0)).satisfies(e -> {
            assertThat(e.message()).isEqualTo("spec.tpm must be true or false, found 'yes please'");
            assertThat(e.line()).isEqualTo(5);
            assertThat(e.column()).isEqualTo(8);
        });
        assertThat(errors(head + "spec:\n  cpu: {flags: [AVX!]}\n").get(0).message())
                .isEqualTo("spec.cpu.flags holds /proc/cpuinfo flag names (lower case, digits, _), found 'AVX!'");
        assertThat(errors(head + "spec:\n  nics: {}\n").get(0).message()).startsWith("unknown key 'nics' in spec (allowed: cpu, disk, gpu,");
        assertThat(errors(head + "spec: {}\n").get(0).message()).startsWith("spec is empty");
        assertThat(errors(head)).extracting(PolicyError::message).containsExactly("a HardwareProfile needs a spec, e.g. spec: {nic: {model: paravirtual}}");
        assertThat(errors("apiVersion: chameleon/v2\nkind: HardwareProfile\nmetadata: {name: x}\nspec: {tpm: true}\n").get(0).message())
                .isEqualTo("apiVersion must be chameleon/v1, found 'chameleon/v2'");
        assertThat(errors("apiVersion: chameleon/v1\nkind: Policy\nmetadata: {name: x}\nspec: {}\n").get(0).message())
                .isEqualTo("kind must be HardwareProfile, found 'Policy'");
        assertThat(errors("apiVersion: chameleon/v1\nkind: HardwareProfile\nmetadata: {name: 'two words'}\nspec: {tpm: true}\n").get(0).message())
                .isEqualTo("metadata.name must be one word (letters, digits, _ . + -), found 'two words'");
        PolicyError yaml = errors(head + "spec:\n  tpm: [true\n").get(0);
        assertThat(yaml.message()).startsWith("malformed YAML: ");
        assertThat(yaml.line()).isGreaterThan(0);
        assertThat(errors(head + "spec: {tpm: true, tpm: false}\n").get(0).message()).isEqualTo("duplicate key 'tpm' in spec (also at line 4)");
        assertThat(errors("- a list\n").get(0).message()).isEqualTo("the document must be a mapping, found a list");
        assertThat(errors("x\u0000y").get(0).message()).isEqualTo("malformed YAML: character U+0000 is not allowed in YAML");
    }
}

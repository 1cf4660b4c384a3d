package dev.chameleon.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The options a suggested command carries so that it acts where the command that suggested it did. */
class EngineConfigTest {
    @Test
    void theDefaultsNeedNoOption() {
        assertThat(EngineConfig.builder().build().scopeOptions()).isEmpty();
    }

    @Test
    void eachOptionThatDiffersFromTheDefaultIsKeptAndQuotedWhereTheShellNeedsIt(@TempDir Path tmp) throws Exception {
        Path root = java.nio.file.Files.createDirectories(tmp.resolve("a tree"));
        Path state = tmp.resolve("state");
        EngineConfig c = EngineConfig.builder().root(root).stateDir(state).builtinPolicies(false).systemPolicies(false)
                .policies(List.of(Path.of("/etc/x's policies"))).build();
        assertThat(c.scopeOptions()).isEqualTo(" --root '" + root + "' --state-dir " + state
                + " --no-default-policies --no-system-policies --policies '/etc/x'\\''s policies'");
        // rollback, history and tune --recover take the machine and state folder only
        assertThat(c.machineOptions()).isEqualTo(" --root '" + root + "' --state-dir " + state);
    }
}

package dev.chameleon.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state folder's change lock (was ApplierTest.secondProcessCannotTakeTheLock, when the journal held it). */
class StateFolderTest {
    @TempDir
    Path tmp;

    @Test
    void secondProcessCannotTakeTheLock() throws Exception {
        StateFolder state = new StateFolder(tmp.resolve("state"));
        try (AutoCloseable held = state.changeLock()) {
            assertThatThrownBy(state::changeLock).hasMessageContaining("another chameleon process holds");
        }
        try (AutoCloseable again = state.changeLock()) {
            assertThat(again).isNotNull();
        }
    }
}

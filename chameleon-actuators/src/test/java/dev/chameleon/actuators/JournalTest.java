package dev.chameleon.actuators;

import dev.chameleon.model.ChangeSet;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Journal.list(): a long-running agent lists the journal every pass; only what changed is parsed again. */
class JournalTest {
    @TempDir
    Path state;

    @Test
    void unchangedFilesAreNotParsedAgainAndChangedOnesAre() throws IOException {
        Journal j = new Journal(state);
        ChangeSet a = j.begin("test");
        ChangeSet b = j.begin("test");
        List<Journal.Loaded> first = j.list();
        List<Journal.Loaded> second = j.list();
        assertThat(second).hasSize(2);
        assertThat(second.get(0)).as("unchanged: the same object").isSameAs(first.get(0));
        assertThat(second.get(1)).isSameAs(first.get(1));

        j.save(b.withStatus("applied", "done")); // rewritten (a rename: a new file)
        List<Journal.Loaded> third = j.list();
        assertThat(third.get(0)).isSameAs(first.get(0));
        assertThat(third.get(1).changeSet().status()).isEqualTo("applied");

        // another process (an operator's 'chameleon rollback', a hand edit) changes a file: seen
        Path fa = j.directory().resolve(a.id() + ".json");
        Files.writeString(fa, "{ not json");
        List<Journal.Loaded> fourth = j.list();
        assertThat(fourth.get(0).ok()).isFalse();
        assertThat(fourth.get(0).error()).contains("unreadable journal file");
        Files.delete(fa);
        assertThat(j.list()).hasSize(1).first().satisfies(l -> assertThat(l.changeSet().id()).isEqualTo(b.id()));
        // a fresh Journal reads the same
        assertThat(new Journal(state).list()).extracting(l -> l.changeSet().status()).containsExactly("applied");
    }
}

package dev.chameleon.server.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.server.Fleet;
import dev.chameleon.server.store.Database;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small, bounded run of the load generator (20 agents, 1 s interval, 4 s): every agent enrolls,
 * reports and gets its verified bundle, and the server stored exactly the reports it accepted,
 * though 20 % of the batches were sent twice. The full run is a benchmark: bench/server-load.sh.
 */
class LoadGeneratorTest {
    @TempDir
    Path dir;

    @Test
    void smallRunLosesAndDuplicatesNothing() throws Exception {
        try (Fleet fleet = Fleet.start(Fleet.Db.H2)) {
            Path templates = Path.of(System.getProperty("chameleon.repo", "..")).resolve("bench/fleet/templates");
            LoadGenerator g = new LoadGenerator(new LoadGenerator.Options(List.of(fleet.server.url()), fleet.admin, 20,
                    Duration.ofSeconds(1), Duration.ofSeconds(4), Duration.ofSeconds(1), Duration.ofSeconds(2), 7,
                    dir.resolve("keys.json"), templates, 0.2, dir.resolve("result.json"), true));
            LoadGenerator.Result r = g.run();
            assertThat(g.problems()).isEmpty();
            assertThat(r.reportErrors()).isZero();
            assertThat(r.bundles200()).isGreaterThanOrEqualTo(20);
            assertThat(r.bundleRefused()).isZero();
            assertThat(r.batchesRetried()).isPositive();
            assertThat(r.reportDuplicates()).isPositive();
            long stored = fleet.server.db().read(c -> Database.count(c, "reports"));
            assertThat(stored).isEqualTo(g.acceptedSoFar());
            assertThat(fleet.count("agents")).isEqualTo(20);
        }
    }
}

package dev.chameleon.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's policy-folder watch on the real file system (inotify through WatchService): a
 * policies.d that does not exist when the agent starts is waited for (new-user trial: it was
 * never watched, so an approved proposal written there was not applied until SIGHUP).
 */
class PolicyFolderWatchTest {
    @Test
    @Timeout(60)
    void aFolderMadeAfterTheStartIsWatchedAndReloads(@TempDir Path tmp) throws Exception {
        Path etc = Files.createDirectories(tmp.resolve("root/etc"));
        Path policies = etc.resolve("chameleon/policies.d");
        LinkedBlockingQueue<Triggers.Trigger> q = new LinkedBlockingQueue<>();
        List<String> log = new ArrayList<>();
        try (Triggers t = new Triggers(q, log::add)) {
            t.policyFolders(List.of(policies));
            Files.writeString(etc.resolve("hosts"), "127.0.0.1 localhost\n");   // another change in the parent: no reload
            assertThat(q.poll(1500, TimeUnit.MILLISECONDS)).isNull();
            Files.createDirectories(policies);                                   // chameleon/ and policies.d/ at once, as mkdir -p
            Triggers.Trigger created = q.poll(20, TimeUnit.SECONDS);
            assertThat(created).as("a reload when the folder appears; log: " + log).isNotNull();
            assertThat(created.source()).isEqualTo("policy-change");
            assertThat(created.reload()).isTrue();
            assertThat(created.detail()).isEqualTo(policies + ": created");
            q.clear();
            Files.writeString(policies.resolve("site.yaml"), "apiVersion: chameleon/v1\n");
            Triggers.Trigger changed = q.poll(20, TimeUnit.SECONDS);
            assertThat(changed).as("a file written in it reloads; log: " + log).isNotNull();
            assertThat(changed.detail()).contains("site.yaml");
        }
    }
}

package dev.chameleon.cli.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The shell helpers every guest gets in /usr/local/bin: the files of the repository's
 * {@code vm/guest/} folder ({@code vm-state}: snapshots of the settings the agent can change, and
 * their comparison; {@code vm-wait}: poll a condition with a deadline; {@code vm-hotplug}: ask the
 * host for a QMP hotplug and time it; {@code vm-agent}: the daemon in the background). Each
 * file's header says what it does.
 */
final class GuestHelpers {
    private GuestHelpers() {
    }

    /** File name → text, in name order. */
    static Map<String, String> all() throws IOException {
        String repo = System.getProperty("chameleon.repo");
        if (repo == null || repo.isBlank()) {
            throw new IOException("system property chameleon.repo is not set (maven-failsafe sets it; run through `./mvnw verify`)");
        }
        Path dir = Path.of(repo, "vm", "guest");
        if (!Files.isDirectory(dir)) {
            throw new IOException("the guest helpers folder " + dir + " does not exist");
        }
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.put(f.getFileName().toString(), Files.readString(f, StandardCharsets.UTF_8));
            }
        }
        return out;
    }
}

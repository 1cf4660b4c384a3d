package dev.chameleon.agent.fleet;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where the agent keeps what belongs to its server, under its state folder:
 * {@code STATE/server/} (mode 0700) with {@code credential.json} (0600), {@code bundle.json} and
 * {@code bundle.etag} (the last good bundle and its ETag) and {@code outbox/} (reports not yet
 * acknowledged). Every file is written whole to a temporary file (created 0600), flushed to
 * disk and renamed over the old one, so a crash leaves the old file or the new one, never half.
 */
public final class FleetFiles {
    private final Path dir;

    /** @param stateDir the agent's state folder */
    public FleetFiles(Path stateDir) {
        this.dir = stateDir.resolve("server");
    }

    public Path dir() {
        return dir;
    }

    public Path credential() {
        return dir.resolve("credential.json");
    }

    public Path bundle() {
        return dir.resolve("bundle.json");
    }

    public Path etag() {
        return dir.resolve("bundle.etag");
    }

    public Path outbox() {
        return dir.resolve("outbox");
    }

    /** Creates {@code STATE/server} 0700 when missing. */
    public void create() throws IOException {
        createPrivateDir(dir);
    }

    static void createPrivateDir(Path d) throws IOException {
        if (!Files.isDirectory(d)) {
            Files.createDirectories(d.getParent());
            try {
                Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                // made meanwhile
            }
        }
    }

    /** Writes {@code text} to {@code file} atomically, 0600, synced. */
    public static void writePrivate(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}

package dev.chameleon.server;

import dev.chameleon.server.store.Database;
import dev.chameleon.wire.BundleKey;
import dev.chameleon.wire.BundleKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Instant;
import java.util.List;

/**
 * The bundle-signing key: {@value #FILE} in the data folder (mode 0600), generated at the first
 * start of the first replica; its public half is recorded in the database, so that a replica
 * with another key (or none) refuses to start instead of signing bundles every agent would
 * refuse. A second replica gets the file copied from the first.
 */
final class SigningKey {
    /** The key file's name in the data folder. */
    static final String FILE = "bundle-signing.key";

    private SigningKey() {
    }

    /**
     * Loads or creates the key and checks it against the database.
     *
     * @throws IllegalStateException when the file is unreadable or not a key, or the database
     *                               knows another key, saying what to do
     */
    static KeyPair load(Path dataDir, Database db) {
        Path file = dataDir.resolve(FILE);
        List<String> known = db.read(c -> Database.query(c, "SELECT key_id FROM server_keys ORDER BY created_at", rs -> rs.getString(1)));
        KeyPair pair;
        if (Files.exists(file)) {
            try {
                pair = BundleKeys.fromPem(Files.readString(file, StandardCharsets.US_ASCII));
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalStateException(file + ": not a bundle-signing key: " + e.getMessage(), e);
            }
        } else if (!known.isEmpty()) {
            throw new IllegalStateException("this database's bundles are signed with key " + known.get(0) + ", and " + file
                    + " does not exist: copy " + FILE + " from the data folder of a replica that has it (mode 0600)");
        } else {
            pair = BundleKeys.generate();
            try {
                Files.writeString(file, BundleKeys.toPem(pair), StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE);
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (FileAlreadyExistsException e) {
                return load(dataDir, db);
            } catch (IOException e) {
                throw new IllegalStateException("cannot write " + file + ": " + e.getMessage(), e);
            }
        }
        BundleKey pub = BundleKeys.describe(pair.getPublic());
        if (known.isEmpty()) {
            db.tx(c -> Database.update(c, "INSERT INTO server_keys (key_id, algorithm, public_key, created_at) VALUES (?, ?, ?, ?)"
                    + " ON CONFLICT DO NOTHING", pub.keyId(), pub.algorithm(), pub.publicKey(), Instant.now()));
            known = db.read(c -> Database.query(c, "SELECT key_id FROM server_keys ORDER BY created_at", rs -> rs.getString(1)));
        }
        if (!known.get(0).equals(pub.keyId())) {
            throw new IllegalStateException("this database's bundles are signed with key " + known.get(0) + ", but " + file
                    + " holds key " + pub.keyId() + ": agents pinned the first; copy " + FILE + " from a replica that has it");
        }
        return pair;
    }
}

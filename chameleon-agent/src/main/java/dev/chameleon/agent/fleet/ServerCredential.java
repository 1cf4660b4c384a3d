package dev.chameleon.agent.fleet;

import dev.chameleon.wire.BundleKey;
import dev.chameleon.wire.Json;
import dev.chameleon.wire.WireFormatException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What {@code chameleon enroll} keeps (in {@code STATE/server/credential.json}, mode 0600): the
 * server it enrolled with, the agent's id and secret credential, and the bundle key it pinned.
 *
 * @param server     the server's base URL ({@code https://fleet.example:8443})
 * @param agentId    the agent's id in the fleet ({@code ag-...})
 * @param credential the agent's secret ({@code cha_ID.SECRET}); sent as {@code Authorization: Bearer}
 * @param bundleKey  the server's bundle-signing key, pinned at enrollment: bundles signed otherwise are refused
 * @param enrolledAt when, ISO-8601 UTC
 */
public record ServerCredential(URI server, String agentId, String credential, BundleKey bundleKey, String enrolledAt) {
    /** Never print the secret. */
    @Override
    public String toString() {
        return "ServerCredential[" + server + ", " + agentId + ", key " + bundleKey.keyId() + "]";
    }

    /** Writes it 0600 under {@code files}. */
    public void write(FleetFiles files) throws IOException {
        files.create();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("server", server.toString());
        m.put("agentId", agentId);
        m.put("credential", credential);
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("keyId", bundleKey.keyId());
        k.put("algorithm", bundleKey.algorithm());
        k.put("publicKey", bundleKey.publicKey());
        m.put("bundleKey", k);
        m.put("enrolledAt", enrolledAt);
        FleetFiles.writePrivate(files.credential(), Json.write(m) + "\n");
    }

    /** A problem with the stored credential, naming the file. */
    public static final class Unusable extends Exception {
        public Unusable(String message) {
            super(message);
        }
    }

    /**
     * Reads the credential, or null when the agent never enrolled.
     *
     * @throws Unusable the file is not readable, not a credential, or readable by others than its owner
     */
    public static ServerCredential read(FleetFiles files) throws Unusable {
        Path f = files.credential();
        String text;
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                throw new Unusable(f + ": readable by others (" + java.nio.file.attribute.PosixFilePermissions.toString(perms)
                        + "); it holds the agent's secret: chmod 600 it");
            }
            text = Files.readString(f);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new Unusable(f + ": cannot read: " + e.getMessage());
        }
        try {
            if (!(Json.parse(text) instanceof Map<?, ?> m) || !(m.get("server") instanceof String server)
                    || !(m.get("agentId") instanceof String id) || !(m.get("credential") instanceof String cred)
                    || !(m.get("bundleKey") instanceof Map<?, ?> k) || !(k.get("keyId") instanceof String kid)
                    || !(k.get("algorithm") instanceof String alg) || !(k.get("publicKey") instanceof String pub)) {
                throw new Unusable(f + ": not an enrollment record (server, agentId, credential, bundleKey); enroll again");
            }
            return new ServerCredential(URI.create(server), id, cred, new BundleKey(kid, alg, pub),
                    m.get("enrolledAt") instanceof String at ? at : "");
        } catch (WireFormatException e) {
            throw new Unusable(f + ":" + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new Unusable(f + ": " + e.getMessage());
        }
    }
}

package dev.chameleon.agent.fleet;

import dev.chameleon.wire.EnrollRequest;
import dev.chameleon.wire.EnrollResponse;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.util.Map;

/**
 * {@code chameleon enroll URL --token T}: exchanges an enrollment token for the agent's own
 * credential and pins the server's bundle key, kept 0600 in {@code STATE/server/credential.json}.
 * An agent already enrolled is refused unless {@code force}; then the old credential is kept until
 * the new enrollment succeeded (fleet #47650), and the old bundle (another agent id, maybe another
 * key) is forgotten only then.
 */
public final class Enrollment {
    private Enrollment() {
    }

    /** Already enrolled and not forced: the credential there. */
    public static final class AlreadyEnrolled extends Exception {
        public AlreadyEnrolled(String message) {
            super(message);
        }
    }

    /**
     * Enrolls.
     *
     * @param facts the agent's facts now (the server's selectors can pick it at once), or an empty map
     * @throws AlreadyEnrolled          a credential is there and {@code force} is false
     * @throws ServerClient.CallFailed  the server refused (401: the token is unknown, expired, revoked or used up) or did not answer
     * @throws ServerCredential.Unusable the stored credential cannot be read (only without {@code force})
     */
    public static ServerCredential enroll(URI server, String token, String hostname, Map<String, Object> facts, FleetFiles files,
                                          boolean force, Clock clock)
            throws IOException, InterruptedException, AlreadyEnrolled, ServerCredential.Unusable {
        if (!force) {
            ServerCredential old = ServerCredential.read(files);
            if (old != null) {
                throw new AlreadyEnrolled("already enrolled with " + old.server() + " as " + old.agentId() + " (" + files.credential()
                        + "); --force enrolls again (the old credential is kept until the new one is issued)");
            }
        }
        ServerClient client = new ServerClient(server, AgentVersion.get());
        EnrollResponse r = client.enroll(new EnrollRequest(token, hostname, AgentVersion.get(), facts));
        ServerCredential c = new ServerCredential(server, r.agentId(), r.credential(), r.bundleKey(), clock.instant().toString());
        try {
            dev.chameleon.wire.BundleKeys.publicKey(r.bundleKey());
        } catch (IllegalArgumentException e) {
            throw new ServerClient.CallFailed(201, "", "the server's bundle key is not a valid Ed25519 key: " + e.getMessage());
        }
        c.write(files);
        new BundleStore(files).clear();
        return c;
    }
}

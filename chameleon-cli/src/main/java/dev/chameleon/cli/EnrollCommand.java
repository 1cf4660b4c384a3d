package dev.chameleon.cli;

import dev.chameleon.agent.fleet.Enrollment;
import dev.chameleon.agent.fleet.FleetFiles;
import dev.chameleon.agent.fleet.ServerClient;
import dev.chameleon.agent.fleet.ServerCredential;
import dev.chameleon.engine.Engine;
import dev.chameleon.model.FactSet;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.URI;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code chameleon enroll URL --token T}: joins this agent to a control plane (docs/control-plane.md#the-agent-side). */
@Command(name = "enroll", mixinStandardHelpOptions = true,
        description = {"Exchange an enrollment token for this agent's own credential, kept 0600 in STATE-DIR/server/credential.json, "
                + "and pin the server's bundle-signing key. Then run the agent with --server URL (or server.url in agent.yaml).",
                "The agent's facts are sent with the enrollment, so assignments can select it at once."})
final class EnrollCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "URL", description = "The server: https://HOST:PORT (http:// only for a server on loopback).")
    String url;

    @Option(names = "--token", required = true, paramLabel = "TOKEN", description = "The enrollment token an operator created (che_...).")
    String token;

    @Option(names = "--hostname", paramLabel = "NAME", description = "The name the fleet shows (default: this machine's host name).")
    String hostname;

    @Option(names = "--force", description = "Enroll again although this agent is enrolled (the old credential is kept until the new one is issued).")
    boolean force;

    @Mixin
    HostOptions hostOptions;

    @Mixin
    StateOptions stateOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        URI server;
        try {
            server = ServerClient.checkUrl(url);
        } catch (IllegalArgumentException e) {
            throw new UserError(ExitCode.BAD_INPUT, "URL " + e.getMessage());
        }
        if (!token.startsWith("che_")) {
            throw new UserError(ExitCode.BAD_INPUT, "--token: an enrollment token starts with che_ (an operator makes one: "
                    + "chameleon fleet enroll-token create, or POST /api/v1/enroll-tokens)");
        }
        Engine engine = hostOptions.engine(null, stateOptions);
        FactSet facts = engine.sense();
        String name = hostname != null ? hostname : InetAddress.getLocalHost().getHostName();
        FleetFiles files = new FleetFiles(engine.stateFolder().path());
        try {
            ServerCredential c = Enrollment.enroll(server, token, name, facts.asMap(), files, force, Clock.systemUTC());
            out.println("enrolled with " + c.server() + " as " + c.agentId() + "; bundle key " + c.bundleKey().keyId()
                    + " pinned; credential in " + files.credential());
            out.println("next: chameleon run --server " + Scope.quote(c.server().toString()) + Scope.of(spec));
            return ExitCode.OK;
        } catch (Enrollment.AlreadyEnrolled e) {
            throw new UserError(ExitCode.REFUSED, e.getMessage());
        } catch (ServerCredential.Unusable e) {
            throw new UserError(ExitCode.BAD_INPUT, e.getMessage());
        } catch (ServerClient.CallFailed e) {
            throw new UserError(e.status() == 401 || e.status() == 400 ? ExitCode.BAD_INPUT : ExitCode.FAILED,
                    "enrollment with " + server + " failed: " + e.getMessage());
        }
    }
}

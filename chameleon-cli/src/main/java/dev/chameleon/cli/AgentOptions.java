package dev.chameleon.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How {@code facts}, {@code detect}, {@code plan} and {@code explain} use the running agent:
 * {@code --socket}, {@code --refresh}, {@code --standalone}. {@link AgentClient} reads these before
 * picocli runs; here they are declared (for help and for the standalone path, which ignores them).
 */
final class AgentOptions {
    @Option(names = "--socket", paramLabel = "FILE", description = "Ask the agent on this control socket (default: STATE-DIR/agent.sock, "
            + "/var/lib/chameleon/agent.sock under --root); when no agent answers, the command answers alone.")
    Path socket;

    @Option(names = "--refresh", description = "With the agent answering: sense again now instead of taking its facts "
            + "(at most 120 s old).")
    boolean refresh;

    @Option(names = "--standalone", description = "Do not ask the running agent: sense (and compile the policies) in this process.")
    boolean standalone;
}

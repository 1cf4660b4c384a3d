package dev.chameleon.cli;

import dev.chameleon.server.ServerMain;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code chameleon server [OPTIONS]} and {@code chameleon server token create ...}: the control
 * plane (docs/control-plane.md). Its options are {@link ServerMain}'s, passed through as given, so
 * {@code java -jar chameleon-server.jar} and {@code chameleon server} take the same ones.
 */
@Command(name = "server", description = {"Run the control plane (default 127.0.0.1:8780, embedded database under --data-dir), "
        + "or 'server token create --name NAME' to print the first admin token. 'chameleon server --help' lists its options."},
        helpCommand = false)
final class ServerCommand implements Callable<Integer> {
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        return ServerMain.run(args, new PrintStream(System.out, true), new PrintStream(System.err, true));
    }
}

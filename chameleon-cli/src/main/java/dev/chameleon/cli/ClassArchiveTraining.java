package dev.chameleon.cli;

import dev.chameleon.agent.loop.ControlSocket;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The representative run an application class-data archive (AppCDS) is recorded from, so that
 * every command starts with its classes already parsed and verified: run with
 * {@code java -XX:ArchiveClassesAtExit=ARCHIVE -cp chameleon.jar dev.chameleon.cli.ClassArchiveTraining WORK},
 * it runs on this machine, in one process, what the commands load: {@code facts} (table, JSON,
 * YAML), {@code detect}, {@code plan} with the built-in pack (table, JSON, YAML), {@code explain},
 * the daemon ({@code run --mode plan}) through its first pass, and the client asking it
 * ({@code facts}, {@code detect}, {@code plan}, {@code status} over the control socket).
 *
 * <p>It only reads the machine: plan mode, its own state folder under {@code WORK} (removed at
 * the end), no kernel uevents, the checked-CEL cache off unless {@code CHAMELEON_CEL_CACHE} says
 * otherwise. Output is thrown away. The build records {@code chameleon-cli/target/chameleon.jsa}
 * this way (the {@code ./chameleon} launcher uses it); the .deb's postinst records
 * {@code /var/cache/chameleon/chameleon.jsa} against the installed Java runtime.
 */
public final class ClassArchiveTraining {
    private ClassArchiveTraining() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: ClassArchiveTraining WORK-FOLDER");
            System.exit(ExitCode.BAD_INPUT);
        }
        if (System.getenv("CHAMELEON_CEL_CACHE") == null && System.getProperty("chameleon.cel.cache") == null) {
            System.setProperty("chameleon.cel.cache", "off");
        }
        Path work = Files.createDirectories(Path.of(args[0]).toAbsolutePath());
        Path state = work.resolve("state");
        PrintWriter none = new PrintWriter(OutputStream.nullOutputStream(), true);
        List<String[]> commands = new ArrayList<>(List.of(
                new String[] {"facts", "--standalone", "--state-dir", state.toString()},
                new String[] {"facts", "-o", "json", "--standalone", "--state-dir", state.toString()},
                new String[] {"facts", "-o", "yaml", "--standalone", "--state-dir", state.toString()},
                new String[] {"detect", "--standalone"},
                new String[] {"detect", "-o", "json", "--standalone"},
                new String[] {"plan", "--standalone", "--state-dir", state.toString()},
                new String[] {"plan", "-o", "json", "--standalone", "--state-dir", state.toString()},
                new String[] {"plan", "-o", "yaml", "--standalone", "--state-dir", state.toString()},
                new String[] {"explain", "sysctl:vm.swappiness", "--standalone"}));
        for (String[] c : commands) {
            Cli.run(none, none, c);
        }
        // the daemon's first pass, then the client path against it
        Path agentState = work.resolve("agent");
        Thread daemon = new Thread(() -> Cli.run(none, none, "run", "--mode", "plan", "--state-dir", agentState.toString(),
                "--no-uevents", "--interval", "1h"), "training-agent");
        daemon.setDaemon(true);
        daemon.start();
        Path sock = agentState.resolve("agent.sock");
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline && daemon.isAlive()) {
            try {
                if (ControlSocket.ask(sock, "status").contains("\"passes\":1")) {
                    break;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream(), true);
        for (String[] c : List.of(new String[] {"facts", "-o", "json", "--socket", sock.toString()},
                new String[] {"facts", "--socket", sock.toString()},
                new String[] {"detect", "--socket", sock.toString()},
                new String[] {"plan", "--state-dir", agentState.toString()},
                new String[] {"status", "--socket", sock.toString()})) {
            AgentClient.serve(c, nowhere, nowhere);
        }
        daemon.interrupt();
        daemon.join(30_000);
        try (var walk = Files.walk(work)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        System.exit(0);
    }
}

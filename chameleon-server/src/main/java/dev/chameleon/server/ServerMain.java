package dev.chameleon.server;

import dev.chameleon.server.service.Retention;

import dev.chameleon.server.auth.Role;
import dev.chameleon.server.service.Tokens;
import dev.chameleon.server.store.Database;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * {@code chameleon server}: runs a control-plane replica, and {@code chameleon server token create}
 * makes an API token straight in the database (how the first admin token comes to be). Plain
 * argument parsing here; the {@code chameleon} launcher's picocli command will map its options
 * onto {@link #run(List, PrintStream, PrintStream)} when the CLI module exists.
 *
 * <pre>
 * chameleon server [--listen HOST:PORT] [--data-dir DIR] [--db JDBC_URL] [--tls-cert FILE --tls-key FILE] [--pool N]
 * chameleon server token create --name NAME [--role admin|operator|viewer] [--expires-in D] [--data-dir DIR] [--db JDBC_URL]
 * chameleon server token list [--data-dir DIR] [--db JDBC_URL]
 * </pre>
 *
 * Exit codes: 0 success, 1 failure (database unreachable, port in use, key mismatch), 2 bad options.
 */
public final class ServerMain {
    private ServerMain() {
    }

    public static void main(String[] args) {
        int code = run(List.of(args), System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Thrown for bad options; exit code 2. */
    static final class Usage extends RuntimeException {
        Usage(String message) {
            super(message);
        }
    }

    static final String USAGE = """
            usage: chameleon server [--listen HOST:PORT] [--data-dir DIR] [--db JDBC_URL] [--tls-cert FILE --tls-key FILE] [--pool N]
                   chameleon server token create --name NAME [--role admin|operator|viewer] [--expires-in D] [--data-dir DIR] [--db JDBC_URL]
                   chameleon server token list [--data-dir DIR] [--db JDBC_URL]
              --listen HOST:PORT  where to listen (default 127.0.0.1:8780); plain HTTP only on loopback
              --data-dir DIR      the server's folder: bundle-signing key, embedded database
                                  (default /var/lib/chameleon-server as root, else ~/.local/state/chameleon-server)
              --db JDBC_URL       jdbc:postgresql://HOST:PORT/DB?user=U (password from ~/.pgpass or PGPASSFILE);
                                  default: the embedded H2 database under the data folder
              --tls-cert FILE     PEM certificate chain; with --tls-key, serve HTTPS
              --tls-key FILE      PEM private key of the certificate
              --pool N            most database connections of this replica (default 16)
              --keep-status D     keep status reports (and idempotency keys of facts, plans, current values) this long (default 2d)
              --keep-history D    keep change sets, agent events and the fleet's events this long (default 180d); D: 90m, 48h, 180d
              --expires-in D      (token create) the token stops working this long from now: 1m to 3660d (default: never)
            """;

    /** Runs with arguments; the exit code. A running server returns only when the JVM is asked to stop. */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        try {
            if (args.size() >= 2 && args.get(0).equals("token") && args.get(1).equals("create")) {
                return tokenCreate(args.subList(2, args.size()), out, err);
            }
            if (args.size() >= 2 && args.get(0).equals("token") && args.get(1).equals("list")) {
                return tokenList(args.subList(2, args.size()), out, err);
            }
            if (!args.isEmpty() && (args.get(0).equals("--help") || args.get(0).equals("-h"))) {
                out.print(USAGE);
                return 0;
            }
            Parsed parsed = parse(args, false);
            ServerConfig cfg = parsed.config();
            ControlPlane cp = ControlPlane.start(parsed.config());
            cp.retention(parsed.retention());
            err.println("chameleon server " + ControlPlane.VERSION + " listening on " + cp.url() + " (database: "
                    + cp.db().kind().name().toLowerCase(java.util.Locale.ROOT) + ", data: " + cfg.dataDir() + ")");
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                cp.close();
                stop.countDown();
            }, "chameleon-server-stop"));
            stop.await();
            return 0;
        } catch (Usage e) {
            err.println("chameleon server: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (IllegalArgumentException e) {
            err.println("chameleon server: " + e.getMessage());
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (RuntimeException e) {
            err.println("chameleon server: " + e.getMessage());
            return 1;
        }
    }

    private static int tokenCreate(List<String> args, PrintStream out, PrintStream err) {
        Parsed p = parse(args, true);
        if (p.name() == null) {
            throw new Usage("token create needs --name NAME");
        }
        Role role = Role.of(p.role()).orElseThrow(() -> new Usage("--role must be admin, operator or viewer, got '" + p.role() + "'"));
        try (Database db = ControlPlane.database(p.config())) {
            Tokens.Created t = new Tokens(db, Clock.systemUTC()).createFromCommandLine(p.name(), role, hostName(), p.expiresIn());
            err.println("created " + role.wire() + " token " + t.id() + " (" + p.name() + ")"
                    + (t.expiresAt() == null ? ", never expires" : ", expires at " + t.expiresAt()) + "; it is shown once:");
            out.println(t.token());
            return 0;
        } catch (Database.InUse e) {
            err.println("chameleon server: the server is running on " + p.config().dataDir() + " (" + e.getMessage() + "); stop it, or "
                    + "create the token over the API with an admin token: POST /api/v1/tokens {\"name\": \"" + p.name() + "\", \"role\": \""
                    + role.wire() + "\"} (e.g. curl -H 'Authorization: Bearer ADMIN_TOKEN')");
            return 1;
        }
    }

    /**
     * Prints every API token, one a line: id, role, created, expires ({@code never}, or the time,
     * with {@code (expired)} past it), revoked ({@code -} or the time), name. Never a secret.
     */
    private static int tokenList(List<String> args, PrintStream out, PrintStream err) {
        Parsed p = parse(args, false, true);
        // read-only: never create a data dir or an empty embedded database where none was
        if (p.config().dbUrl().isEmpty()) {
            java.nio.file.Path dir = p.config().dataDir();
            java.nio.file.Path file = dir.resolve("chameleon.mv.db");
            if (!java.nio.file.Files.isDirectory(dir) || !java.nio.file.Files.isRegularFile(file)) {
                err.println("chameleon server: no server database in " + dir.toAbsolutePath() + " (" + file.getFileName()
                        + (java.nio.file.Files.isDirectory(dir) ? " is missing" : ": the folder does not exist")
                        + "); give the --data-dir the server runs with, or --db");
                return 1;
            }
        }
        try (Database db = ControlPlane.database(p.config())) {
            java.time.Instant now = Clock.systemUTC().instant();
            List<Tokens.ApiTokenView> all = new Tokens(db, Clock.systemUTC()).listApiTokens();
            out.printf("%-28s %-8s %-20s %-30s %-20s %s%n", "ID", "ROLE", "CREATED", "EXPIRES", "REVOKED", "NAME");
            for (Tokens.ApiTokenView t : all) {
                String expires = t.expiresAt() == null ? "never" : seconds(t.expiresAt()) + (t.expiresAt().isAfter(now) ? "" : " (expired)");
                out.printf("%-28s %-8s %-20s %-30s %-20s %s%n", t.id(), t.role(), seconds(t.createdAt()), expires,
                        t.revokedAt() == null ? "-" : seconds(t.revokedAt()), t.name());
            }
            return 0;
        }
    }

    private static String seconds(java.time.Instant t) {
        return t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }

    record Parsed(ServerConfig config, String name, String role, Retention retention, java.time.Duration expiresIn) {
    }

    static Parsed parse(List<String> args, boolean tokenOptions) {
        return parse(args, tokenOptions, false);
    }

    /** {@code databaseOnly}: the options of a command that only opens the database ({@code token list}). */
    static Parsed parse(List<String> args, boolean tokenOptions, boolean databaseOnly) {
        String host = ServerConfig.DEFAULT_HOST;
        int port = ServerConfig.DEFAULT_PORT;
        Path data = null;
        String db = null;
        Path cert = null;
        Path key = null;
        int pool = 16;
        java.time.Duration keepStatus = Retention.defaults().keepStatus();
        java.time.Duration keepHistory = Retention.defaults().keepHistory();
        String name = null;
        String role = "admin";
        java.time.Duration expiresIn = null;
        List<String> rest = new ArrayList<>(args);
        List<String> known = new ArrayList<>(List.of("--listen", "--data-dir", "--db", "--tls-cert", "--tls-key", "--pool"));
        if (!tokenOptions) {
            known.addAll(List.of("--keep-status", "--keep-history"));
        }
        if (tokenOptions) {
            known.addAll(List.of("--name", "--role", "--expires-in"));
        }
        if (databaseOnly) {
            known.retainAll(List.of("--data-dir", "--db"));
        }
        while (!rest.isEmpty()) {
            String opt = rest.remove(0);
            String value;
            int eq = opt.indexOf('=');
            String optName = opt.startsWith("--") && eq > 0 ? opt.substring(0, eq) : opt;
            if (!known.contains(optName)) {
                throw new Usage(opt.startsWith("-") ? "unknown option " + optName : "unexpected argument '" + opt + "'");
            }
            if (opt.startsWith("--") && eq > 0) {
                value = opt.substring(eq + 1);
                opt = optName;
            } else {
                if (rest.isEmpty()) {
                    throw new Usage(opt + " needs a value");
                }
                value = rest.remove(0);
            }
            switch (opt) {
                case "--listen" -> {
                    int colon = value.lastIndexOf(':');
                    if (colon <= 0) {
                        throw new Usage("--listen must be HOST:PORT, got '" + value + "'");
                    }
                    host = value.substring(0, colon).replace("[", "").replace("]", "");
                    try {
                        port = Integer.parseInt(value.substring(colon + 1));
                    } catch (NumberFormatException e) {
                        throw new Usage("--listen port must be a number, got '" + value.substring(colon + 1) + "'");
                    }
                }
                case "--data-dir" -> data = Path.of(value);
                case "--db" -> db = value;
                case "--tls-cert" -> cert = Path.of(value);
                case "--tls-key" -> key = Path.of(value);
                case "--pool" -> {
                    try {
                        pool = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        throw new Usage("--pool must be a number, got '" + value + "'");
                    }
                    if (pool < 1 || pool > 200) {
                        throw new Usage("--pool must be 1 to 200, got " + pool);
                    }
                }
                case "--keep-status" -> keepStatus = Retention.parse(value).orElseThrow(() ->
                        new Usage("--keep-status must be a duration such as 48h or 2d, got '" + value + "'"));
                case "--keep-history" -> keepHistory = Retention.parse(value).orElseThrow(() ->
                        new Usage("--keep-history must be a duration such as 180d, got '" + value + "'"));
                case "--name" -> {
                    if (!tokenOptions) {
                        throw new Usage("unknown option --name");
                    }
                    name = value;
                }
                case "--expires-in" -> expiresIn = Retention.parse(value).filter(d -> d.compareTo(Tokens.MIN_API_LIFE) >= 0
                        && d.compareTo(Tokens.MAX_API_LIFE) <= 0).orElseThrow(() -> new Usage("--expires-in must be a duration of 1m to "
                        + Tokens.MAX_API_LIFE.toDays() + "d such as 90m, 12h or 30d, got '" + value + "'"));
                case "--role" -> {
                    if (!tokenOptions) {
                        throw new Usage("unknown option --role");
                    }
                    role = value;
                }
                default -> throw new Usage("unknown option " + opt);
            }
        }
        if (data == null) {
            data = defaultDataDir();
        }
        Retention retention;
        try {
            retention = new Retention(keepStatus, keepHistory);
        } catch (IllegalArgumentException e) {
            throw new Usage(e.getMessage());
        }
        return new Parsed(new ServerConfig(host, port, data, Optional.ofNullable(db), Optional.ofNullable(cert),
                Optional.ofNullable(key), pool), name, role, retention, expiresIn);
    }

    /** {@code /var/lib/chameleon-server} for root, else {@code $XDG_STATE_HOME/chameleon-server} or {@code ~/.local/state/chameleon-server}. */
    static Path defaultDataDir() {
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/var/lib/chameleon-server");
        }
        String xdg = System.getenv("XDG_STATE_HOME");
        return xdg != null && !xdg.isBlank() ? Path.of(xdg, "chameleon-server")
                : Path.of(System.getProperty("user.home"), ".local", "state", "chameleon-server");
    }
}

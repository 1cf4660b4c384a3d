package dev.chameleon.server;

import dev.chameleon.server.http.Api;
import dev.chameleon.server.http.Dto;
import dev.chameleon.server.http.Route;
import dev.chameleon.server.service.Audit;
import dev.chameleon.server.service.Bundles;
import dev.chameleon.server.service.Enrollment;
import dev.chameleon.server.service.Events;
import dev.chameleon.server.service.FactsCache;
import dev.chameleon.server.service.Inventory;
import dev.chameleon.server.service.Notifier;
import dev.chameleon.server.service.Policies;
import dev.chameleon.server.service.Reports;
import dev.chameleon.server.service.Rollouts;
import dev.chameleon.server.service.Tokens;
import dev.chameleon.server.store.Database;
import dev.chameleon.wire.BundleSigner;
import io.javalin.Javalin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.time.Clock;
import java.util.List;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * One control-plane replica, assembled: database (migrated), signing key, services, HTTP API.
 * Holds nothing another replica would need: every fact of the fleet is in the database.
 */
public final class ControlPlane implements AutoCloseable {
    /** The server's version (the project's). */
    public static final String VERSION = "0.1.0";

    private final ServerConfig config;
    private final Database db;
    private final Notifier notifier;
    private final Tokens tokens;
    private final Api api;
    private final Javalin app;
    private final Clock clock;
    private volatile dev.chameleon.server.service.Retention retention = dev.chameleon.server.service.Retention.defaults();
    private final java.util.concurrent.ScheduledExecutorService pruner = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chameleon-retention");
        t.setDaemon(true);
        return t;
    });

    private final FactsCache facts;

    private ControlPlane(ServerConfig config, Database db, Notifier notifier, Tokens tokens, Api api, Javalin app, Clock clock, FactsCache facts) {
        this.clock = clock;
        this.facts = facts;
        pruner.scheduleWithFixedDelay(this::prune, 1, 10, java.util.concurrent.TimeUnit.MINUTES);
        this.config = config;
        this.db = db;
        this.notifier = notifier;
        this.tokens = tokens;
        this.api = api;
        this.app = app;
    }

    /** Opens the database a configuration names (the embedded one under the data folder by default), migrated. */
    public static Database database(ServerConfig config) {
        prepareDataDir(config);
        return Database.open(config.dbUrl().orElse(Database.embeddedUrl(config.dataDir())), config.poolSize());
    }

    private static void prepareDataDir(ServerConfig config) {
        try {
            if (!Files.isDirectory(config.dataDir())) {
                Files.createDirectories(config.dataDir(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the data folder " + config.dataDir() + ": " + e.getMessage(), e);
        }
    }

    /** Starts a replica. */
    public static ControlPlane start(ServerConfig config) {
        return start(config, Clock.systemUTC(), List.of());
    }

    /**
     * Starts a replica with a clock and extra routes (tests: the authorization safety net is
     * checked with a route that forgets to check).
     */
    public static ControlPlane start(ServerConfig config, Clock clock, List<Route> extra) {
        KeyStore tls = config.tls() ? Tls.keyStore(config.tlsCert().orElseThrow(), config.tlsKey().orElseThrow()) : null;
        Database db = database(config);
        try {
            BundleSigner signer = new BundleSigner(SigningKey.load(config.dataDir(), db));
            Notifier notifier = new Notifier(db);
            Tokens tokens = new Tokens(db, clock);
            FactsCache facts = new FactsCache(db);
            Reports reports = new Reports(db, clock, notifier);
            Policies policies = new Policies(db, clock, notifier);
            Rollouts rollouts = new Rollouts(db, clock, notifier, facts);
            dev.chameleon.server.service.Simulations simulations = new dev.chameleon.server.service.Simulations(db, facts);
            Api.Services services = new Api.Services(db, tokens, new Enrollment(db, clock, signer.publicKey(), reports, notifier),
                    reports, policies, rollouts, bundles(db, clock, signer, rollouts, policies, facts, notifier, reports),
                    new Inventory(db, clock, facts, notifier), new Events(db, notifier), new Audit(db), notifier,
                    new Dto.ServerInfo(VERSION, db.kind().name().toLowerCase(java.util.Locale.ROOT), signer.publicKey()),
                    simulations);
            Api api = new Api(services, extra);
            Javalin app = Javalin.create(cfg -> {
                api.configure(cfg);
                dev.chameleon.server.http.Console.configure(cfg);
                // errors Jetty answers before Javalin sees the request (a URI or headers too long) get the one error shape too
                cfg.jetty.modifyServer(server -> server.setErrorHandler(new dev.chameleon.server.http.JsonErrorHandler()));
                cfg.jetty.addConnector((server, http) -> {
                    ServerConnector c;
                    if (tls != null) {
                        SslContextFactory.Server ssl = new SslContextFactory.Server();
                        ssl.setKeyStore(tls);
                        ssl.setKeyStorePassword(new String(Tls.PASSWORD));
                        http.addCustomizer(new SecureRequestCustomizer(false));
                        c = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
                    } else {
                        c = new ServerConnector(server, new HttpConnectionFactory(http));
                    }
                    c.setHost(config.host());
                    c.setPort(config.port());
                    c.setIdleTimeout(Bundles.MAX_WAIT_SECONDS * 1000L + 30_000L);
                    return c;
                });
            });
            app.start();
            // every agent's facts parsed in the background now, not by the first simulation or query (docs/control-plane.md)
            // (-Dchameleon.server.warmFacts=false: not, so bench/simulate.sh can measure a cold start against a warmed one)
            if (!"false".equals(System.getProperty("chameleon.server.warmFacts"))) {
                facts.warmInBackground(simulations::warmUp);
            }
            return new ControlPlane(config, db, notifier, tokens, api, app, clock, facts);
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    /** The port it listens on (the real one when 0 was asked). */
    public int port() {
        return app.port();
    }

    /** {@code http(s)://HOST:PORT}. */
    public String url() {
        String h = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return (config.tls() ? "https" : "http") + "://" + h + ":" + port();
    }

    public Database db() {
        return db;
    }

    /**
     * Completes with the number of agents whose facts are cached once the warming started with the
     * server is done (never, when warming was switched off with {@code -Dchameleon.server.warmFacts=false}).
     */
    public java.util.concurrent.CompletableFuture<Integer> factsWarmed() {
        return facts.warmed();
    }

    public Tokens tokens() {
        return tokens;
    }

    public Api api() {
        return api;
    }

    /** Every HTTP route Javalin has registered, as {@code METHOD path} (before/after filters left out). */
    public List<String> registeredRoutes() {
        return app.unsafe.internalRouter.allHttpHandlers().stream()
                .filter(e -> e.endpoint.method.isHttpMethod())
                .map(e -> e.endpoint.method.name() + " " + e.endpoint.path).sorted().toList();
    }

    public Notifier notifier() {
        return notifier;
    }

    /** How long reports and events are kept ({@code --keep-status}, {@code --keep-history}); pruned every 10 minutes. */
    public void retention(dev.chameleon.server.service.Retention r) {
        retention = java.util.Objects.requireNonNull(r);
    }

    /** Prunes what is older than the retention now (the 10-minute task calls it; tests too). */
    public dev.chameleon.server.service.Retention.Pruned prune() {
        return retention.prune(db, clock);
    }

    @Override
    public void close() {
        pruner.shutdownNow();
        facts.close();
        try {
            notifier.release(); // long polls answer 304 before the server stops under them
            app.stop();
        } finally {
            notifier.close();
            db.close();
        }
    }

    /** The bundle service, told by the report service when an agent's own facts changed (its long poll is woken when that moves its bundle). */
    private static Bundles bundles(Database db, Clock clock, BundleSigner signer, Rollouts rollouts, Policies policies, FactsCache facts,
                                   Notifier notifier, Reports reports) {
        Bundles b = new Bundles(db, clock, signer, rollouts, policies, facts, notifier);
        reports.onFactsChanged(b::factsChanged);
        return b;
    }
}

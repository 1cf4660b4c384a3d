package dev.chameleon.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.server.auth.Role;
import dev.chameleon.server.store.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running control plane for a test, on the embedded H2 database in a temp folder or on a fresh
 * database of the real PostgreSQL ({@link Postgres}), with an admin token.
 */
public final class Fleet implements AutoCloseable {
    /** Which database. */
    public enum Db { H2, POSTGRESQL }

    private static final AtomicInteger SEQ = new AtomicInteger();
    public ControlPlane server;
    public Http http;
    public final String admin;
    public final Path dataDir;
    public final String dbUrl;

    private Fleet(ControlPlane server, Path dataDir, String dbUrl) {
        this.server = server;
        this.dataDir = dataDir;
        this.dbUrl = dbUrl;
        this.http = new Http(server.url());
        this.admin = server.tokens().createFromCommandLine("test admin", Role.ADMIN, "test").token();
    }

    public static Fleet start(Db db) {
        return start(db, java.time.Clock.systemUTC(), List.of());
    }

    public static Fleet start(Db db, java.time.Clock clock, List<dev.chameleon.server.http.Route> extra) {
        try {
            Path dir = Files.createTempDirectory("chameleon-server-test-");
            String url = db == Db.POSTGRESQL ? Postgres.get().newDatabase() : null;
            ServerConfig cfg = ServerConfig.defaults(dir.resolve("data")).withPort(0);
            return new Fleet(ControlPlane.start(url == null ? cfg : cfg.withDb(url), clock, extra), dir.resolve("data"), url);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * This server stopped and started again on the same data folder and database (a new port);
     */
    public ControlPlane restart() {
        server.close();
        ServerConfig cfg = ServerConfig.defaults(dataDir).withPort(0);
        server = ControlPlane.start(dbUrl == null ? cfg : cfg.withDb(dbUrl));
        http = new Http(server.url());
        return server;
    }

    /** Another replica on the same database, with the bundle key copied into its own data folder. */
    public ControlPlane replica() {
        try {
            Path dir = Files.createTempDirectory("chameleon-replica-").resolve("data");
            Files.createDirectories(dir);
            Files.copy(dataDir.resolve("bundle-signing.key"), dir.resolve("bundle-signing.key"));
            return ControlPlane.start(ServerConfig.defaults(dir).withPort(0).withDb(dbUrl));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new API token of a role. */
    public String token(String role) {
        Http.Response r = http.post("/api/v1/tokens", admin, Http.json(Map.of("name", role + "-" + SEQ.incrementAndGet(), "role", role)));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("token").asText();
    }

    /** An enrollment token. */
    public String enrollToken(Map<String, String> labels, int maxUses) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", "test enroll " + SEQ.incrementAndGet());
        body.put("maxUses", maxUses);
        body.put("ttlSeconds", 3600);
        body.put("labels", labels);
        Http.Response r = http.post("/api/v1/enroll-tokens", admin, Http.json(body));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("token").asText();
    }

    /** An enrolled agent: its id, credential and pinned key (as JSON text of the answer). */
    public record Agent(String id, String credential, Http.Response enrollment) {
    }

    public Agent enroll(String enrollToken, String hostname, Map<String, Object> facts) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("enrollToken", enrollToken);
        body.put("hostname", hostname);
        body.put("agentVersion", "0.1.0");
        body.put("facts", facts);
        Http.Response r = http.post("/api/v1/enroll", null, Http.json(body));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return new Agent(r.json().get("agentId").asText(), r.json().get("credential").asText(), r);
    }

    /** Facts of a VM of some platform, shaped as the agent's sensors give them. */
    public static Map<String, Object> facts(String hypervisor, String cloud, boolean nvidia) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("platform", Map.of("hypervisor", hypervisor, "cloud", cloud, "container", "none", "confidence", 0.9));
        f.put("memory", Map.of("totalBytes", 17179869184L));
        f.put("gpus", nvidia ? List.of(Map.of("vendor", "nvidia", "model", "Tesla V100")) : List.of());
        return f;
    }

    /** chameleon-sensors' golden facts: the whole fact trees the sensors produced from captured machines. */
    public static final Path GOLDEN = Path.of("..", "chameleon-sensors", "src", "test", "resources", "golden");

    /** The golden fact tree of one captured machine ({@code GOLDEN/MACHINE.json}), as the agent reports it. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> golden(String machine) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readValue(Files.readString(GOLDEN.resolve(machine + ".json")),
                    LinkedHashMap.class);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("golden facts " + GOLDEN.resolve(machine + ".json"), e);
        }
    }

    /**
     * A fact tree as an agent reports it when the memory sensor cannot read {@code /proc/meminfo}:
     * the facts it would give are absent and {@code meta.sensors.memory.problems} names the file with
     * the error the host layer gives an unreadable file (dev.chameleon.host.SysRoot: "permission
     * denied"; dev.chameleon.sensors.SensorContext#text notes it). Made from a real tree because no
     * captured machine has an unreadable file, and as root (the tests' user) nothing is unreadable.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> withUnreadableMeminfo(Map<String, Object> facts) {
        Map<String, Object> f = new LinkedHashMap<>(facts);
        f.put("memory", new LinkedHashMap<>((Map<String, Object>) f.getOrDefault("memory", Map.of())));
        ((Map<String, Object>) f.get("memory")).keySet().removeIf(k -> List.of("totalBytes", "availableBytes", "swapTotalBytes", "swapFreeBytes",
                "hugepages").contains(k));
        Map<String, Object> meta = new LinkedHashMap<>((Map<String, Object>) f.get("meta"));
        Map<String, Object> sensors = new LinkedHashMap<>((Map<String, Object>) meta.get("sensors"));
        Map<String, Object> memory = new LinkedHashMap<>((Map<String, Object>) sensors.get("memory"));
        memory.put("problems", List.of(Map.of("source", "/proc/meminfo", "error", "permission denied")));
        sensors.put("memory", memory);
        meta.put("sensors", sensors);
        f.put("meta", meta);
        return f;
    }

    /** One report as the agent's outbox sends it. */
    public static Map<String, Object> report(String id, String kind, Object payload) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", id);
        r.put("kind", kind);
        r.put("time", Instant.parse("2026-12-04T13:00:00Z").toString());
        r.put("payload", payload);
        return r;
    }

    public Http.Response report(Agent a, List<Map<String, Object>> reports) {
        return http.post("/api/v1/agents/" + a.id() + "/reports", a.credential(), Http.json(Map.of("reports", reports)));
    }

    /** Rows in one table. */
    public long count(String table) {
        Long n = server.db().read(c -> Database.count(c, table));
        return n;
    }

    /** Row counts of every table: what "nothing written" is checked against. */
    public Map<String, Long> counts() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String t : List.of("api_tokens", "enroll_tokens", "agents", "reports", "events", "audit", "policy_versions",
                "assignments", "rollouts", "server_keys")) {
            out.put(t, server.db().read(c -> Database.count(c, t)));
        }
        out.put("enroll_uses", server.db().read(c -> Database.one(c, "SELECT COALESCE(SUM(uses), 0) FROM enroll_tokens",
                rs -> rs.getLong(1)).orElse(0L)));
        out.put("revoked", server.db().read(c -> Database.one(c, "SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NOT NULL",
                rs -> rs.getLong(1)).orElse(0L)));
        out.put("counters", server.db().read(c -> Database.one(c, "SELECT SUM(n) FROM counters", rs -> rs.getLong(1)).orElse(0L)));
        return out;
    }

    @Override
    public void close() {
        server.close();
    }
}

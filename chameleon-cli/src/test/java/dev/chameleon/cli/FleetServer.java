package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chameleon.server.ControlPlane;
import dev.chameleon.server.ServerConfig;
import dev.chameleon.server.auth.Role;
import dev.chameleon.server.store.Database;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real control plane for the CLI's fleet tests: chameleon-server on loopback with its embedded
 * H2 database in a temp folder (or a PostgreSQL database given), an admin token, and the few API
 * calls an operator makes.
 * Restartable on the same port and data folder (an outage).
 */
final class FleetServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private final Path data;
    private final String dbUrl;
    private ControlPlane cp;
    final String admin;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    FleetServer(Path data) {
        this(data, null);
    }

    /** On a database of its own ({@code jdbc:postgresql://...}), or the embedded H2 one when null. */
    FleetServer(Path data, String dbUrl) {
        this.data = data;
        this.dbUrl = dbUrl;
        this.cp = ControlPlane.start(config().withPort(0));
        this.admin = cp.tokens().createFromCommandLine("test admin", Role.ADMIN, "test").token();
    }

    private ServerConfig config() {
        ServerConfig c = ServerConfig.defaults(data);
        return dbUrl == null ? c : c.withDb(dbUrl);
    }

    String url() {
        return cp.url();
    }

    int port() {
        return cp.port();
    }

    /** Stops the server (agents see connection refused). */
    void stop() {
        cp.close();
        cp = null;
    }

    /** Starts it again on the same port and data folder. */
    void restart(int port) {
        cp = ControlPlane.start(config().withPort(port));
    }

    record Response(int status, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }
    }

    Response call(String method, String path, String contentType, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + admin);
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    Response get(String path) {
        return call("GET", path, null, null);
    }

    Response post(String path, Object body) {
        try {
            return call("POST", path, "application/json", JSON.writeValueAsString(body));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    String enrollToken(int uses) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", "test enrollment");
        body.put("maxUses", uses);
        body.put("ttlSeconds", 3600);
        Response r = post("/api/v1/enroll-tokens", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("token").asText();
    }

    void putPolicy(String name, String yaml) {
        Response r = call("PUT", "/api/v1/policies/" + name, "application/yaml", yaml);
        assertThat(r.status()).as(r.toString()).isIn(200, 201);
    }

    void assign(String name, String policy, String selector) {
        Response r = post("/api/v1/assignments", Map.of("name", name, "policy", policy, "selector", selector));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
    }

    /** Starts a rollout; its id. */
    String rollout(String assignment, int version, List<String> canaries, List<Integer> steps) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("version", version);
        if (!canaries.isEmpty()) {
            body.put("canaryAgents", canaries);
        }
        body.put("steps", steps);
        Response r = post("/api/v1/assignments/" + assignment + "/rollouts", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    /** Reports the server stored from an agent, by kind (all kinds: null). */
    long reports(String agentId, String kind) {
        return cp.db().read(c -> Database.one(c, "SELECT COUNT(*) FROM reports WHERE agent_id = ?" + (kind == null ? "" : " AND kind = ?"),
                rs -> rs.getLong(1), kind == null ? new Object[] {agentId} : new Object[] {agentId, kind}).orElse(0L));
    }

    /** The report ids the server stored for an agent, of one kind. */
    java.util.Set<String> reportIds(String agentId, String kind) {
        return java.util.Set.copyOf(cp.db().read(c -> {
            java.util.List<String> ids = new java.util.ArrayList<>();
            try (var st = c.prepareStatement("SELECT report_id FROM reports WHERE agent_id = ? AND kind = ?")) {
                st.setString(1, agentId);
                st.setString(2, kind);
                try (var rs = st.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
            }
            return ids;
        }));
    }

    @Override
    public void close() {
        if (cp != null) {
            cp.close();
        }
    }
}

package dev.chameleon.agent.fleet;

import dev.chameleon.wire.Bundle;
import dev.chameleon.wire.EnrollRequest;
import dev.chameleon.wire.EnrollResponse;
import dev.chameleon.wire.ErrorBody;
import dev.chameleon.wire.ReportBatch;
import dev.chameleon.wire.ReportReceipt;
import dev.chameleon.wire.Wire;
import dev.chameleon.wire.WireFormatException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * The agent's calls to its server ({@code /api/v1/enroll}, {@code /api/v1/agents/ID/bundle},
 * {@code /api/v1/agents/ID/reports}) over the JDK's HTTP client, bodies through chameleon-wire's
 * streaming codecs. TLS uses the JDK's trust store; plain {@code http://} is for loopback tests
 * (the server refuses plain HTTP off loopback). Redirects are not followed. Thread-safe.
 */
public final class ServerClient {
    /** A call that did not succeed: the HTTP status (0: no answer), the server's error code and message. */
    public static final class CallFailed extends IOException {
        private final int status;
        private final String code;

        public CallFailed(int status, String code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }

        /** The HTTP status; 0 when the server did not answer. */
        public int status() {
            return status;
        }

        /** The error body's {@code code} ({@code reenroll}), or "". */
        public String code() {
            return code;
        }
    }

    /** A bundle answer: 200 with a bundle and its ETag, or 304 (unchanged) with the same ETag. */
    public record BundleAnswer(Bundle bundle, String etag) {
        public boolean unchanged() {
            return bundle == null;
        }
    }

    private final URI base;
    private final HttpClient http;
    private final String agent;
    private final String version;

    /**
     * @param base         the server's base URL
     * @param agentVersion sent as the User-Agent ({@code chameleon-agent/0.1.0})
     */
    public ServerClient(URI base, String agentVersion) {
        String s = base.toString();
        this.base = URI.create(s.endsWith("/") ? s : s + "/");
        this.agent = "chameleon-agent/" + agentVersion;
        this.version = agentVersion;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER).version(HttpClient.Version.HTTP_1_1).build();
    }

    /** The URL of the server, or an error naming what is wrong with it. */
    public static URI checkUrl(String text) {
        URI u;
        try {
            u = new URI(text.strip());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a URL: " + e.getReason());
        }
        if (!"https".equals(u.getScheme()) && !"http".equals(u.getScheme())) {
            throw new IllegalArgumentException("'" + text + "' must start with https:// (or http:// for a server on loopback)");
        }
        if (u.getHost() == null || u.getRawQuery() != null || u.getRawFragment() != null || u.getRawUserInfo() != null) {
            throw new IllegalArgumentException("'" + text + "' must be https://HOST[:PORT][/PATH], without user, query or fragment");
        }
        return u;
    }

    public String agentVersion() {
        return version;
    }

    /** {@code POST /api/v1/enroll}. */
    public EnrollResponse enroll(EnrollRequest r) throws IOException, InterruptedException {
        HttpRequest req = request("api/v1/enroll", null, Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Wire.write(r))).build();
        HttpResponse<String> resp = send(req);
        if (resp.statusCode() != 201 && resp.statusCode() != 200) {
            throw failed(resp);
        }
        try {
            return Wire.readEnrollResponse(resp.body());
        } catch (WireFormatException e) {
            throw new CallFailed(resp.statusCode(), "", "the server's enrollment answer does not read: " + e.getMessage());
        }
    }

    /**
     * {@code GET /api/v1/agents/ID/bundle}, a long poll of {@code waitSeconds} when {@code etag} is given.
     *
     * @throws CallFailed any answer but 200 and 304, or a 304 without an ETag (opa #1928)
     */
    public BundleAnswer bundle(String agentId, String credential, String etag, int waitSeconds) throws IOException, InterruptedException {
        String path = "api/v1/agents/" + enc(agentId) + "/bundle" + (etag != null && waitSeconds > 0 ? "?wait=" + waitSeconds : "");
        HttpRequest.Builder b = request(path, credential, Duration.ofSeconds(waitSeconds + 30L)).GET();
        if (etag != null) {
            b.header("If-None-Match", etag);
        }
        HttpResponse<String> resp = send(b.build());
        Optional<String> tag = resp.headers().firstValue("ETag");
        if (resp.statusCode() == 304) {
            return new BundleAnswer(null, tag.orElseThrow(() -> new CallFailed(304, "", "304 without an ETag")));
        }
        if (resp.statusCode() != 200) {
            throw failed(resp);
        }
        try {
            return new BundleAnswer(Wire.readBundle(resp.body()), tag.orElse(null));
        } catch (WireFormatException e) {
            throw new CallFailed(200, "", "the bundle does not read: " + e.getMessage());
        }
    }

    /** {@code POST /api/v1/agents/ID/reports}. */
    public ReportReceipt report(String agentId, String credential, ReportBatch batch) throws IOException, InterruptedException {
        HttpRequest req = request("api/v1/agents/" + enc(agentId) + "/reports", credential, Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Wire.write(batch))).build();
        HttpResponse<String> resp = send(req);
        if (resp.statusCode() != 200) {
            throw failed(resp);
        }
        try {
            return Wire.readReportReceipt(resp.body());
        } catch (WireFormatException e) {
            throw new CallFailed(200, "", "the server's receipt does not read: " + e.getMessage());
        }
    }

    private HttpRequest.Builder request(String path, String credential, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).header("User-Agent", agent)
                .header("Accept", "application/json");
        if (credential != null) {
            b.header("Authorization", "Bearer " + credential);
        }
        return b;
    }

    private HttpResponse<String> send(HttpRequest req) throws IOException, InterruptedException {
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (java.net.http.HttpTimeoutException e) {
            throw new CallFailed(0, "", req.uri().getHost() + ": no answer in time");
        } catch (java.net.ConnectException e) {
            throw new CallFailed(0, "", base + ": cannot connect" + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        } catch (IOException e) {
            throw new CallFailed(0, "", base + ": " + e);
        }
    }

    private static CallFailed failed(HttpResponse<String> resp) {
        String code = resp.headers().firstValue("Chameleon-Reenroll").filter("true"::equals).map(x -> "reenroll").orElse("");
        String message = "HTTP " + resp.statusCode();
        try {
            ErrorBody e = Wire.readError(resp.body());
            message += ": " + e.message();
            if (!e.errors().isEmpty()) {
                message += "\n  " + String.join("\n  ", e.errors());
            }
            if (!e.code().isEmpty()) {
                code = e.code();
            }
        } catch (WireFormatException | RuntimeException ex) {
            // not our error shape: the status says it
        }
        return new CallFailed(resp.statusCode(), code, message);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}

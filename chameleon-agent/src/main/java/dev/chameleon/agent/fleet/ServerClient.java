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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * The agent's calls to its server ({@code /api/v1/enroll}, {@code /api/v1/agents/ID/bundle},
 * {@code /api/v1/agents/ID/reports}) over {@link java.net.HttpURLConnection}, bodies through chameleon-wire's
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
    private final String agent;
    private final String version;
    private final java.util.Set<java.net.HttpURLConnection> open = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * @param base         the server's base URL
     * @param agentVersion sent as the User-Agent ({@code chameleon-agent/0.1.0})
     */
    public ServerClient(URI base, String agentVersion) {
        String s = base.toString();
        this.base = URI.create(s.endsWith("/") ? s : s + "/");
        this.agent = "chameleon-agent/" + agentVersion;
        this.version = agentVersion;
    }

    /** Closes every call in flight (a long poll included): they fail at once. For a stop. */
    public void abort() {
        open.forEach(java.net.HttpURLConnection::disconnect);
    }

    /** An answer: status, the headers asked for, body text. */
    private record Answer(int status, String etag, String reenroll, String body) {
        int statusCode() {
            return status;
        }
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
        Answer resp = call("POST", "api/v1/enroll", null, null, Wire.write(r), Duration.ofSeconds(30));
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
        Answer resp = call("GET", path, credential, etag, null, Duration.ofSeconds(waitSeconds + 30L));
        Optional<String> tag = Optional.ofNullable(resp.etag());
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
        Answer resp = call("POST", "api/v1/agents/" + enc(agentId) + "/reports", credential, null, Wire.write(batch), Duration.ofSeconds(60));
        if (resp.statusCode() != 200) {
            throw failed(resp);
        }
        try {
            return Wire.readReportReceipt(resp.body());
        } catch (WireFormatException e) {
            throw new CallFailed(200, "", "the server's receipt does not read: " + e.getMessage());
        }
    }

    /**
     * One call over {@link java.net.HttpURLConnection} (lighter in the daemon than the JDK's
     * {@code java.net.http} client, which added about 14 MiB to its peak RSS): no proxy, no
     * redirects, JSON in and out.
     */
    private Answer call(String method, String path, String credential, String ifNoneMatch, String body, Duration timeout)
            throws CallFailed, InterruptedException {
        java.net.HttpURLConnection c = null;
        try {
            c = (java.net.HttpURLConnection) base.resolve(path).toURL().openConnection(java.net.Proxy.NO_PROXY);
            open.add(c);
            c.setInstanceFollowRedirects(false);
            c.setUseCaches(false);
            c.setConnectTimeout(10_000);
            c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            c.setRequestMethod(method);
            c.setRequestProperty("User-Agent", agent);
            c.setRequestProperty("Accept", "application/json");
            if (credential != null) {
                c.setRequestProperty("Authorization", "Bearer " + credential);
            }
            if (ifNoneMatch != null) {
                c.setRequestProperty("If-None-Match", ifNoneMatch);
            }
            if (body != null) {
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                c.setFixedLengthStreamingMode(bytes.length);
                try (java.io.OutputStream out = c.getOutputStream()) {
                    out.write(bytes);
                }
            }
            int status = c.getResponseCode();
            java.io.InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            String text = "";
            if (in != null) {
                try (in) {
                    text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
            return new Answer(status, c.getHeaderField("ETag"), c.getHeaderField("Chameleon-Reenroll"), text);
        } catch (java.net.SocketTimeoutException e) {
            throw new CallFailed(0, "", base.getHost() + ": no answer in time");
        } catch (java.net.ConnectException e) {
            throw new CallFailed(0, "", base + ": cannot connect" + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("stopped");
            }
            throw new CallFailed(0, "", base + ": " + e);
        } finally {
            if (c != null) {
                open.remove(c);
            }
        }
    }

    private static CallFailed failed(Answer resp) {
        String code = "true".equals(resp.reenroll()) ? "reenroll" : "";
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
